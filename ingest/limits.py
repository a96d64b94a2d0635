"""How big a file the reader takes on, and what it may spend reading it (issue 14: no file can
stop the pipeline).

Every limit is a setting with a default that real department files never reach. A file beyond
one is rejected whole with `文件过大或结构异常 / file too large or malformed` and the limit it
broke; the reader checks what a workbook declares (part sizes in the zip directory, the sheet's
`<dimension>`, the shared-string count) before any parser allocates for it, and the child
process that parses (`ingest/isolation.py`) runs under a memory limit so even a native abort is
a rejection of that file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ingest.errors import FeedRejection

MB = 1 << 20


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {value!r}") from None
    if number <= 0:
        raise ValueError(f"{name} must be positive, got {number}")
    return number


@dataclass(frozen=True)
class ReadLimits:
    max_file_bytes: int = 50 * MB  # SVCMON_MAX_FILE_MB: the file as sent
    max_rows: int = 200_000  # SVCMON_MAX_ROWS: rows of the sheet (or CSV lines) read
    max_columns: int = 200  # SVCMON_MAX_COLUMNS: columns of the sheet (or CSV fields in a line)
    # SVCMON_MAX_PART_MB: one part of an xlsx package once uncompressed (a sheet's XML, shared strings)
    max_part_bytes: int = 400 * MB
    max_shared_strings: int = 2_000_000  # SVCMON_MAX_SHARED_STRINGS
    memory_bytes: int = 1024 * MB  # SVCMON_READER_MEMORY_MB: address space of the reading process
    timeout_seconds: int = 300  # SVCMON_READER_TIMEOUT_S: one file's reading

    @classmethod
    def from_env(cls) -> ReadLimits:
        d = cls()
        return cls(
            max_file_bytes=_env_int("SVCMON_MAX_FILE_MB", d.max_file_bytes // MB) * MB,
            max_rows=_env_int("SVCMON_MAX_ROWS", d.max_rows),
            max_columns=_env_int("SVCMON_MAX_COLUMNS", d.max_columns),
            max_part_bytes=_env_int("SVCMON_MAX_PART_MB", d.max_part_bytes // MB) * MB,
            max_shared_strings=_env_int("SVCMON_MAX_SHARED_STRINGS", d.max_shared_strings),
            memory_bytes=_env_int("SVCMON_READER_MEMORY_MB", d.memory_bytes // MB) * MB,
            timeout_seconds=_env_int("SVCMON_READER_TIMEOUT_S", d.timeout_seconds),
        )


TOO_LARGE_ZH = "文件过大或结构异常"
TOO_LARGE_EN = "file too large or malformed"


def too_large(detail_zh: str, detail_en: str, file_name: str, sheet: str | None = None) -> FeedRejection:
    """The one rejection for a file beyond the limits or shaped to exhaust the reader."""
    return FeedRejection(f"{TOO_LARGE_ZH}（{detail_zh}）", f"{TOO_LARGE_EN} ({detail_en})", file_name, sheet)


def check_file_size(size: int, limits: ReadLimits, file_name: str) -> None:
    if size > limits.max_file_bytes:
        raise too_large(f"{size / MB:.1f} MB，上限 {limits.max_file_bytes / MB:.0f} MB",
                        f"{size / MB:.1f} MB, the limit is {limits.max_file_bytes / MB:.0f} MB", file_name)


def check_extent(rows: int, columns: int, limits: ReadLimits, file_name: str, sheet: str | None,
                 what_zh: str = "", what_en: str = "") -> None:
    """Refuse a sheet of more rows or columns than the limits (declared or found)."""
    if rows > limits.max_rows:
        raise too_large(f"{what_zh}{rows} 行，上限 {limits.max_rows} 行",
                        f"{what_en}{rows} rows, the limit is {limits.max_rows}", file_name, sheet)
    if columns > limits.max_columns:
        raise too_large(f"{what_zh}{columns} 列，上限 {limits.max_columns} 列",
                        f"{what_en}{columns} columns, the limit is {limits.max_columns}", file_name, sheet)
