"""What an xlsx package declares, read before calamine parses it (bounded), and the cells
formatted as percentages (calamine 0.9 exposes no number formats).

An xlsx file is a zip of XML parts. Its zip directory states each part's uncompressed size, a
sheet states its extent (`<dimension ref="A1:XFD1048576">`), the shared-string table states
its count: calamine allocates by them, so a 5 KB file can ask for 512 GiB. `inspect_package`
refuses a package beyond `ReadLimits` before anything allocates; `scan_sheet` streams the
chosen sheet's XML once (in chunks, never a tree) for its real extent and its percent cells.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from ingest.errors import FeedRejection
from ingest.limits import MB, ReadLimits, check_extent, too_large

CHUNK = 1 << 20
# Small parts parsed whole (workbook, relationships, styles): real ones are kilobytes.
SMALL_PART_BYTES = 16 * MB
# Excel's built-in percentage formats (0% and 0.00%).
BUILTIN_PERCENT_FORMATS = frozenset({9, 10})

_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(dimension|row|c)\b([^>]*)>")
_SI = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si\b")
_ATTR = re.compile(rb"([\w:.-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
_COUNT = re.compile(rb"\buniqueCount\s*=\s*[\"'](\d+)[\"']")
_QUOTED_OR_ESCAPED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')
# A cell tag as Excel, WPS and xlsxwriter write it (`r`, then optional `s` and `t`): its attributes
# read by one match; any other spelling goes through the general attribute parse.
_PLAIN_CELL = re.compile(rb'\s+r="([A-Z]{1,3})([1-9]\d{0,6})"(?:\s+s="(\d{1,9})")?(?:\s+t="[a-zA-Z]{1,9}")?\s*/?')


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def column_index(letters: str) -> int:
    """0-based column of `A`, `Z`, `AA`, … ."""
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index - 1


def cell_position(ref: str) -> tuple[int, int] | None:
    """0-based (row, column) of `B3`; None when it is not a cell reference."""
    m = _CELL_REF.match(ref)
    if not m:
        return None
    return int(m.group(2)) - 1, column_index(m.group(1))


def is_percent_format(code: str) -> bool:
    """A number format that shows the value ×100 with `%` (quoted text, escapes and [colour] aside)."""
    return "%" in _QUOTED_OR_ESCAPED.sub("", code)


@dataclass
class SheetScan:
    """What the sheet's XML holds: its declared extent, the extent of its cells (rows, columns
    counted from A1) and the 0-based (row, column) of cells formatted as percentages."""

    declared: tuple[int, int] | None = None
    rows: int = 0
    columns: int = 0
    percent_cells: set[tuple[int, int]] = field(default_factory=set)


class XlsxPackage:
    """An xlsx file opened as the zip it is, its declared sizes checked against the limits."""

    def __init__(self, path: str, limits: ReadLimits, file_name: str) -> None:
        self.limits, self.file_name = limits, file_name
        try:
            self.zip = zipfile.ZipFile(path)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise FeedRejection(
                f"无法打开Excel文件，文件可能已损坏或不是Excel格式（{exc}）",
                f"cannot open the Excel file; it may be corrupt or not an Excel file ({exc})",
                file_name,
            ) from None
        self.parts = {info.filename: info for info in infos}
        for info in infos:
            if info.file_size > limits.max_part_bytes:
                raise too_large(
                    f"部件 {info.filename} 解压后 {info.file_size / MB:.0f} MB，上限 {limits.max_part_bytes / MB:.0f} MB",
                    f"part {info.filename} is {info.file_size / MB:.0f} MB uncompressed, "
                    f"the limit is {limits.max_part_bytes / MB:.0f} MB", file_name)

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> XlsxPackage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- small parts ---------------------------------------------------------------------
    def _small_xml(self, name: str) -> ET.Element | None:
        info = self.parts.get(name)
        if info is None:
            return None
        if info.file_size > SMALL_PART_BYTES:
            raise too_large(f"部件 {name} 过大", f"part {name} is too large", self.file_name)
        try:
            return ET.fromstring(self.zip.read(info))
        except ET.ParseError as exc:
            raise too_large(f"部件 {name} 无法解析", f"part {name} cannot be parsed: {exc}", self.file_name) from None

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """Id → (type, target part) of a part's relationships."""
        path = PurePosixPath(part)
        rels = self._small_xml(str(path.parent / "_rels" / f"{path.name}.rels"))
        found: dict[str, tuple[str, str]] = {}
        for rel in [] if rels is None else rels:
            target = rel.get("Target") or ""
            resolved = target.lstrip("/") if target.startswith("/") else _join(path.parent, target)
            found[rel.get("Id") or ""] = (rel.get("Type") or "", resolved)
        return found

    def _workbook_part(self) -> str:
        for _rid, (typ, target) in self._relationships("").items():
            if typ.endswith("/officeDocument"):
                return target
        return "xl/workbook.xml"

    def sheet_parts(self) -> dict[str, str]:
        """Sheet name → the part holding its XML."""
        workbook = self._workbook_part()
        root = self._small_xml(workbook)
        rels = self._relationships(workbook)
        parts: dict[str, str] = {}
        for element in [] if root is None else root.iter():
            if _local(element.tag) != "sheet":
                continue
            rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
            if rid in rels:
                parts[element.get("name") or ""] = rels[rid][1]
        return parts

    def percent_styles(self) -> set[int]:
        """Indexes of the cell formats (`cellXfs`) whose number format is a percentage."""
        styles_part = next((t for typ, t in self._relationships(self._workbook_part()).values()
                            if typ.endswith("/styles")), "xl/styles.xml")
        root = self._small_xml(styles_part)
        if root is None:
            return set()
        percent_formats = set(BUILTIN_PERCENT_FORMATS)
        for element in root.iter():
            if _local(element.tag) == "numFmt" and is_percent_format(element.get("formatCode") or ""):
                percent_formats.add(int(element.get("numFmtId") or -1))
        found: set[int] = set()
        for element in root.iter():
            if _local(element.tag) == "cellXfs":
                for i, xf in enumerate(x for x in element if _local(x.tag) == "xf"):
                    if int(xf.get("numFmtId") or 0) in percent_formats:
                        found.add(i)
        return found

    # --- big parts, streamed -------------------------------------------------------------
    def _stream(self, name: str, pattern: re.Pattern[bytes]):
        """Matches of `pattern` in a part, read in chunks (a tag is never split: each chunk is
        cut before its last `<`)."""
        pending = b""
        with self.zip.open(self.parts[name]) as fh:
            while chunk := fh.read(CHUNK):
                pending += chunk
                cut = pending.rfind(b"<")
                if cut <= 0:
                    if len(pending) > 4 * CHUNK:  # one tag of megabytes: no real sheet has it
                        raise too_large(f"部件 {name} 结构异常", f"part {name} is malformed", self.file_name)
                    continue
                yield from pattern.finditer(pending, 0, cut)
                pending = pending[cut:]
        yield from pattern.finditer(pending)

    def check_shared_strings(self) -> None:
        """Refuse a shared-string table of more strings than the limit (declared, then counted)."""
        name = next((t for typ, t in self._relationships(self._workbook_part()).values()
                     if typ.endswith("/sharedStrings")), "xl/sharedStrings.xml")
        if name not in self.parts:
            return
        limit = self.limits.max_shared_strings
        with self.zip.open(self.parts[name]) as fh:
            head = fh.read(4096)
        if (m := _COUNT.search(head)) and int(m.group(1)) > limit:
            raise too_large(f"共享字符串 {int(m.group(1))} 个，上限 {limit}",
                            f"{int(m.group(1))} shared strings, the limit is {limit}", self.file_name)
        count = 0
        for _ in self._stream(name, _SI):
            count += 1
            if count > limit:
                raise too_large(f"共享字符串超过 {limit} 个", f"more than {limit} shared strings", self.file_name)

    def scan_sheet(self, sheet: str, percent_styles: set[int]) -> SheetScan:
        """Stream the sheet's XML: refuse a declared or real extent beyond the limits, and note
        the cells whose format is one of `percent_styles`."""
        part = self.sheet_parts().get(sheet)
        scan = SheetScan()
        if part is None or part not in self.parts:
            return scan
        limits, name = self.limits, self.file_name
        row, col = -1, -1
        columns: dict[bytes, int] = {}
        for m in self._stream(part, _TAG):
            tag = m.group(1)
            if tag == b"c" and (plain := _PLAIN_CELL.fullmatch(m.group(2))):
                letters, number, style = plain.groups()
                row = int(number) - 1
                col = columns.get(letters)
                if col is None:
                    col = columns[letters] = column_index(letters.decode("ascii"))
                if col + 1 > scan.columns:
                    scan.columns = col + 1
                    check_extent(0, scan.columns, limits, name, sheet)
                if percent_styles and style and int(style) in percent_styles:
                    scan.percent_cells.add((row, col))
                continue
            attrs = {k.split(b":")[-1]: (a if a is not None else b) for k, a, b in _ATTR.findall(m.group(2))}
            if tag == b"dimension":
                ref = attrs.get(b"ref", b"").decode("ascii", "replace")
                end = cell_position(ref.split(":")[-1])
                if end is not None:
                    scan.declared = (end[0] + 1, end[1] + 1)
                    check_extent(*scan.declared, limits, name, sheet, "声明的范围 ", "a declared extent of ")
            elif tag == b"row":
                number = attrs.get(b"r")
                row = int(number) - 1 if number and number.isdigit() else row + 1
                col = -1
                if row + 1 > scan.rows:
                    scan.rows = row + 1
                    check_extent(scan.rows, 0, limits, name, sheet)
            else:  # a cell
                ref = attrs.get(b"r")
                position = cell_position(ref.decode("ascii", "replace")) if ref else None
                if position is not None:
                    row, col = position
                else:
                    col += 1
                if col + 1 > scan.columns:
                    scan.columns = col + 1
                    check_extent(0, scan.columns, limits, name, sheet)
                style = attrs.get(b"s")
                if percent_styles and style and style.isdigit() and int(style) in percent_styles:
                    scan.percent_cells.add((max(row, 0), col))
        return scan


def _join(folder: PurePosixPath, target: str) -> str:
    """A relationship target relative to its part's folder, `..` resolved."""
    parts: list[str] = [p for p in folder.parts if p not in ("", ".")]
    for piece in target.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)
