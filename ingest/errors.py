"""The one error a feed file can cause: a whole-file rejection (FEEDS.md "Rejections").

Its message is shown to the department that sent the file, so it is bilingual and names
the file, the sheet and, where it helps, the row and the column.
"""

from __future__ import annotations


class FeedRejection(Exception):
    """A file that is rejected whole: nothing of it reaches `raw`."""

    def __init__(
        self,
        cause_zh: str,
        cause_en: str,
        file_name: str,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.cause_zh = cause_zh
        self.cause_en = cause_en
        self.file_name = file_name
        self.sheet = sheet
        self.row = row
        self.column = column
        super().__init__(self.message)

    @property
    def where_zh(self) -> str:
        text = f"文件「{self.file_name}」"
        if self.sheet:
            text += f"工作表「{self.sheet}」"
        if self.row is not None:
            text += f"第{self.row}行"
        if self.column:
            text += f"「{self.column}」列"
        return text

    @property
    def where_en(self) -> str:
        parts = [f"file {self.file_name}"]
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    @property
    def message(self) -> str:
        return f"{self.where_zh}：{self.cause_zh} / {self.where_en}: {self.cause_en}"

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):  # sent back from the reader's child process
        return FeedRejection, (self.cause_zh, self.cause_en, self.file_name, self.sheet, self.row, self.column)


class FileWarning(str):
    """Something in a file that was read but not taken as it stood (a column not read, a row
    after the notes, an unreadable 填报日期…). The file is still accepted; the warning is stored
    with it (`raw.file_warnings`) and shown in `svcmon land` and the quality report.

    It is the bilingual sentence itself (`中文 / English`), with its parts as attributes.
    """

    cause_zh: str
    cause_en: str
    row: int | None
    column: str | None

    def __new__(cls, cause_zh: str, cause_en: str, *, row: int | None = None,
                column: str | None = None) -> FileWarning:
        self = super().__new__(cls, f"{cause_zh} / {cause_en}")
        self.cause_zh, self.cause_en, self.row, self.column = cause_zh, cause_en, row, column
        return self

    def __reduce__(self):  # pickled across the reader's child process
        return _file_warning, (self.cause_zh, self.cause_en, self.row, self.column)


def _file_warning(cause_zh: str, cause_en: str, row: int | None, column: str | None) -> FileWarning:
    return FileWarning(cause_zh, cause_en, row=row, column=column)
