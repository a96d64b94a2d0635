"""The monthly package of one published period: 月度专报 (HTML, PDF, xlsx), the six 表 as xlsx,
and at quarter ends the 季度通报 (HTML, PDF, xlsx); for a December, on request, the 年度综合评估报告
(HTML, PDF, xlsx) alone. Nothing is written for a period that is not published, nor without
Chromium (it prints the PDFs)."""

from __future__ import annotations

from pathlib import Path

from ingest.warehouse import Warehouse
from publish import pdf
from publish.annual import write_annual
from publish.brief import write_brief
from publish.bulletin import write_bulletin
from publish.contract import TABLE_KEYS, table_specs
from publish.errors import ReportRefused
from publish.excel import export_table, load_table
from publish.labels import is_quarter_end, ytd_label
from publish.pdf import MissingProgram
from publish.publication import require_published

__all__ = ["MissingProgram", "ReportRefused", "write_reports"]


def write_reports(
    con: Warehouse, period: str, out_dir: Path, quarterly: bool = False, annual: bool = False
) -> list[Path]:
    """Write the latest published version's reports into `out_dir` and return their paths;
    `annual=True` writes the year-end evaluation only (publish/annual.py).

    Raises ReportRefused (bilingual) for an unpublished period, or `quarterly=True` for a
    period that is not a quarter end, or `annual=True` for one that is not a December;
    `pdf.MissingProgram` when Chromium is not installed.
    """
    if annual:
        return write_annual(con, period, out_dir)
    record = require_published(con, period, error=ReportRefused)
    if quarterly and not is_quarter_end(period):
        raise ReportRefused(
            f"季度通报只在季末月份（3、6、9、12月）编制，{period} 不是季末 / "
            f"the quarterly bulletin is for quarter-end periods (03/06/09/12); {period} is not one"
        )
    pdf.chromium()  # a missing printer stops here, before any file is written
    version = record["version"]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with pdf.printing():  # the brief and the bulletin share one browser
        tables = {table: load_table(con, period, table, version) for table in TABLE_KEYS}  # for two files each
        paths = write_brief(con, period, out_dir, version, tables)
        specs = table_specs(ytd_label(period))
        for table in TABLE_KEYS:
            paths.append(export_table(con, period, table, out_dir / f"{specs[table].title}_{period}_v{version}.xlsx",
                                      version, tables[table]))
        if quarterly:
            paths += write_bulletin(con, period, out_dir, version)
    return paths
