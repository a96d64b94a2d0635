"""Hostile and unlucky files, written on demand (never committed): a workbook whose dimension
asks for 1,048,576 × 16,384 cells, one with a real cell at XFD1048576, a shared-strings bomb,
an oversize CSV. The tests and `benchmarks/bench_hostile_files.py` both use them."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import xlsxwriter

FAI_ROWS = [["鹿城区2024年1-6月固定资产投资"], ["指标名称", "增速", "占比"], ["固定资产投资", 5.0, 100], ["服务业投资", 8.5, 67.0]]


def write_workbook(path: Path, rows: list[list[object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Sheet1")
    for r, row in enumerate(rows):
        sheet.write_row(r, 0, row)
    book.close()
    return path


def _rewrite_parts(path: Path, change: dict[str, callable]) -> Path:
    """Rewrite some parts of an xlsx package in place (`part name → bytes → bytes`)."""
    with zipfile.ZipFile(path) as source:
        parts = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts:
            target.writestr(name, change[name](data) if name in change else data)
    return path


def dimension_bomb(path: Path) -> Path:
    """A few KB whose sheet declares the whole grid (`A1:XFD1048576`)."""
    write_workbook(path, FAI_ROWS)
    return _rewrite_parts(path, {"xl/worksheets/sheet1.xml": lambda xml: re.sub(
        rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', xml)})


def far_cell_bomb(path: Path) -> Path:
    """A few KB with one real cell at XFD1048576 (calamine would allocate 512 GiB for it)."""
    write_workbook(path, FAI_ROWS)
    return _rewrite_parts(path, {"xl/worksheets/sheet1.xml": lambda xml: xml.replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')})


def shared_strings_bomb(path: Path, strings: int = 3_000_000) -> Path:
    """About a megabyte that unpacks to `strings` shared strings (the declared count says 4)."""
    write_workbook(path, [["指标名称", "增速"], ["服务业投资", "x"]])

    def bomb(xml: bytes) -> bytes:
        head = xml[: xml.index(b">", xml.index(b"<sst")) + 1]
        head = re.sub(rb'(unique)?[cC]ount="\d+"', lambda m: m.group(0)[: m.group(0).index(b'"')] + b'="4"', head)
        return head + b"<si><t>x</t></si>" * strings + b"</sst>"

    return _rewrite_parts(path, {"xl/sharedStrings.xml": bomb})


def oversize_csv(path: Path, size_bytes: int) -> Path:
    """A well-formed stats_fai CSV of about `size_bytes`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = "服务业投资,8.5,67.0\n".encode()
    with open(path, "wb") as fh:
        fh.write("指标名称,增速,占比\n".encode())
        block = line * 10_000
        written = 0
        while written < size_bytes:
            fh.write(block)
            written += len(block)
    return path
