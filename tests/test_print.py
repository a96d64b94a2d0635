"""Printed outputs: the briefs' PDF (headless Chromium) and the brief's workbook printed by LibreOffice.

Pages are read back with poppler-utils (`pdfinfo`, `pdftotext`, `pdftoppm`)."""

from __future__ import annotations

import contextlib
import math
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.image as mpimg
import openpyxl
import psutil
import pytest

from publish import pdf
from publish.brief import write_brief
from publish.errors import PublicationError
from publish.excel import HEADER_ROW
from publish.pdf import MissingProgram
from publish.reports import write_reports
from tests.test_publication import add_period, make_warehouse, publish

POPPLER = shutil.which("pdfinfo") and shutil.which("pdftoppm") and shutil.which("pdftotext")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="needs poppler-utils")
OPEN_ITEMS = 60  # enough open supervision items for their table to run over a page break


def _with_many_open_items(period: str = "2023-06"):
    con = make_warehouse(periods=())
    add_period(con, period)
    con.executemany(
        "INSERT INTO marts.fct_supervision_items (period, item_id, responsible_dept, description, state) "
        "VALUES (?, ?, ?, ?, '未销号')",
        [(period, f"SV-{i:03d}", "区商务局", f"第{i}项督导问题：材料报送不及时，整改措施待落实") for i in range(OPEN_ITEMS)],
    )
    publish(con, period)
    return con


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def page_text(pdf: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          check=True, capture_output=True, text=True).stdout


@needs_poppler
def test_brief_pdf_is_a4_numbered_and_repeats_table_headers(tmp_path):
    con = _with_many_open_items()
    paths = write_reports(con, "2023-06", tmp_path)
    pdf = tmp_path / "月度专报_2023-06_v1.pdf"
    assert pdf in paths and paths.index(pdf) == 1  # listed with the HTML and xlsx
    pages = page_count(pdf)
    # Narrative, four tables, three charts and 60 open items: more than two pages, and not the
    # runaway count of a layout that breaks every row onto its own page.
    assert 3 <= pages <= 8
    assert "A4" in subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    texts = [page_text(pdf, p) for p in range(1, pages + 1)]
    for number, text in enumerate(texts, start=1):
        # the @page margin box, not the browser's header and footer
        assert f"第{number}页共{pages}页" in re.sub(r"\s", "", text)
    first = texts[0]
    assert "2023年第1期" in first and "编印单位：鹿城区服务业发展工作专班办公室" in first and "印发日期：" in first
    # The open-items table runs over a page break: every page holding its rows shows its header.
    with_items = [t for t in texts if re.search(r"SV-\d{3}", t)]
    assert len(with_items) >= 2
    assert all("问题描述" in t and "整改期限" in t for t in with_items)
    assert sum(len(re.findall(r"SV-\d{3}", t)) for t in with_items) == OPEN_ITEMS  # no row lost or doubled


@needs_poppler
def test_brief_pdf_first_page_renders(tmp_path):
    con = make_warehouse()
    publish(con, "2023-06")
    pdf = next(p for p in write_brief(con, "2023-06", tmp_path) if p.suffix == ".pdf")
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "50", "-png", str(pdf), str(tmp_path / "page")],
                   check=True, capture_output=True)
    image = mpimg.imread(next(tmp_path.glob("page*.png")))[..., :3]
    height, width = image.shape[:2]
    assert abs(height / width - 297 / 210) < 0.01  # A4 portrait
    ink = image.mean(axis=2) < 0.6
    assert ink.mean() > 0.02, "page 1 is blank"
    # The red masthead title sits in the top tenth of the page.
    red = (image[..., 0] > 0.45) & (image[..., 1] < 0.35) & (image[..., 2] < 0.35)
    top = red[: height // 10]
    assert top.sum() > 200 and top.sum() > 0.5 * red[: height // 5].sum()


def test_missing_chromium_is_one_clear_line_and_writes_nothing(tmp_path, monkeypatch):
    con = make_warehouse()
    publish(con, "2023-06")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out = tmp_path / "out"
    with pytest.raises(MissingProgram) as missing:
        write_reports(con, "2023-06", out)
    message = str(missing.value)
    assert "chromium" in message and "\n" not in message
    assert not out.exists() or list(out.iterdir()) == []


def _page(tmp_path: Path, name: str, paragraphs: int) -> Path:
    html = tmp_path / f"{name}.html"
    body = "".join(f"<p>第{i}段：服务业增加值</p>" for i in range(paragraphs))
    html.write_text(f"<!doctype html><meta charset=utf-8><style>@page {{ size: A4; }} p {{ height: 40mm; }}</style>{body}",
                    encoding="utf-8")
    return html


def _chromium_children() -> list[psutil.Process]:
    """This process's Chromium descendants; a helper that ends while they are listed is skipped."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "chrom" in child.name():
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


@needs_poppler
def test_one_browser_prints_every_page_of_a_block(tmp_path, monkeypatch):
    started = []
    real_popen = subprocess.Popen

    def counting_popen(args, *a, **kw):
        if args[0] == pdf.chromium():
            started.append(args)
        return real_popen(args, *a, **kw)

    monkeypatch.setattr(pdf.subprocess, "Popen", counting_popen)
    with pdf.printing():
        with pdf.printing():  # a nested block (write_reports inside the report step) reuses the browser
            one = pdf.html_to_pdf(_page(tmp_path, "one", 3), tmp_path / "one.pdf")
        many = pdf.html_to_pdf(_page(tmp_path, "many", 30), tmp_path / "many.pdf")
    assert len(started) == 1
    # 40 mm paragraphs on A4 (297 mm, Chromium's default margins): 3 fit on one page, 30 need several.
    assert page_count(one) == 1 and page_count(many) >= 5
    assert "第29段" in subprocess.run(["pdftotext", str(many), "-"], capture_output=True, text=True).stdout
    alone = pdf.html_to_pdf(_page(tmp_path, "alone", 1), tmp_path / "alone.pdf")  # outside a block: its own browser
    assert page_count(alone) == 1 and len(started) == 2
    assert sorted(p.name for p in tmp_path.glob("*.pdf")) == ["alone.pdf", "many.pdf", "one.pdf"]  # no partials


def test_a_block_that_prints_nothing_needs_no_browser(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pdf.printing():
        pass
    with pytest.raises(MissingProgram):
        with pdf.printing():
            pdf.html_to_pdf(_page(tmp_path, "p", 1), tmp_path / "p.pdf")


def test_a_page_that_cannot_be_printed_is_one_clear_error_and_writes_nothing(tmp_path):
    target = tmp_path / "gone.pdf"
    with pytest.raises(PublicationError) as failed:
        with pdf.printing():
            pdf.html_to_pdf(tmp_path / "missing.html", target)  # queued: the block's end reports it
            later = pdf.html_to_pdf(_page(tmp_path, "later", 1), tmp_path / "later.pdf")
    message = str(failed.value)
    assert "missing.html" in message and "chromium" in message and " / " in message
    assert not target.exists() and not list(tmp_path.glob(".*partial"))
    assert page_count(later) == 1  # the block's other pages were still printed


def test_a_block_that_fails_leaves_no_print_running(tmp_path):
    with pytest.raises(RuntimeError, match="the caller failed"):
        with pdf.printing():
            pdf.html_to_pdf(_page(tmp_path, "first", 2), tmp_path / "first.pdf")
            raise RuntimeError("the caller failed")
    assert not list(tmp_path.glob(".*partial"))
    assert not _chromium_children()


def test_a_browser_that_dies_is_one_clear_error(tmp_path):
    with pdf.Printer() as printer:
        printer.print(_page(tmp_path, "first", 1), tmp_path / "first.pdf")
        for child in _chromium_children():
            with contextlib.suppress(psutil.NoSuchProcess):  # a helper ends with the browser it served
                child.kill()
        with pytest.raises(PublicationError) as failed:
            printer.print(_page(tmp_path, "second", 1), tmp_path / "second.pdf")
    assert "second.html" in str(failed.value) and not (tmp_path / "second.pdf").exists()


# --- the brief's workbook, printed by LibreOffice ---------------------------------------------
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
A4_LANDSCAPE_POINTS = 595.3  # the page's height in landscape


def _sheet_of_page(text: str, sheet_names: list[str]) -> str:
    """The sheet a printed page belongs to, from its footer (`<sheet>　第 n 页 共 N 页`)."""
    footer = [line.strip() for line in text.strip().splitlines()[-6:]]
    found = [name for name in sheet_names if any(line == name or line.startswith(f"{name}　") or
                                                 line.startswith(f"{name} ") for line in footer)]
    assert len(found) == 1, footer
    return found[0]


@pytest.mark.slow
@needs_poppler
@pytest.mark.skipif(not SOFFICE, reason="needs LibreOffice (apt-get install libreoffice-calc-nogui)")
def test_libreoffice_prints_every_sheet_one_page_wide(tmp_path):
    con = _with_many_open_items()
    xlsx = next(p for p in write_brief(con, "2023-06", tmp_path / "brief") if p.suffix == ".xlsx")
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(xlsx)],
        check=True, capture_output=True, timeout=180,
    )
    pdf = tmp_path / f"{xlsx.stem}.pdf"
    workbook = openpyxl.load_workbook(xlsx)
    names = workbook.sheetnames
    pages = page_count(pdf)
    printed: dict[str, list[str]] = {}
    for number in range(1, pages + 1):
        text = page_text(pdf, number)
        printed.setdefault(_sheet_of_page(text, names), []).append(text)
    assert list(printed) == names  # every sheet printed, in order

    for name, texts in printed.items():
        ws = workbook[name]
        if name == "摘要" or ws.max_row <= 20:
            # A few rows, one page wide: one page. Columns split across pages would make two or more.
            assert len(texts) == 1, name
            continue
        # Tall sheets: at most the pages their rows fill at 100 % on landscape A4 (fitting the
        # width only shrinks them), and every page shows the header row.
        margins = ws.page_margins
        usable = A4_LANDSCAPE_POINTS - (margins.top + margins.bottom) * 72
        rows = sum(ws.row_dimensions[r].height or 15 for r in range(1, ws.max_row + 1))
        assert len(texts) <= math.ceil(rows / usable), name
        headers = [c.value for c in ws[HEADER_ROW + 1]]  # openpyxl counts rows from 1
        for text in texts:
            flat = re.sub(r"\s", "", text)
            assert headers[0] in flat and headers[-1] in flat, (name, headers)
    assert len(printed["督导服务销号表"]) >= 2  # the 60 items do run over a page
    assert pages == sum(len(t) for t in printed.values())
