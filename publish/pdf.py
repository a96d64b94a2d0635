"""PDF of a brief: the HTML printed by headless Chromium (its print stylesheet paginates A4).

Chromium is a stated dependency (README, `.ci/run`): without it report writing stops with a
one-line error naming the program, before any file is written.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from publish.errors import PublicationError

# Debian's package installs `chromium`; other systems name the same browser differently.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
PRINT_TIMEOUT_SECONDS = 120


class MissingProgram(PublicationError):
    """A program the reports need is not installed."""


def chromium() -> str:
    """Path of the Chromium executable, or MissingProgram."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise MissingProgram(
        "未找到 chromium，无法生成 PDF 报告，请安装（apt-get install chromium）/ "
        "chromium not found: it prints the reports to PDF (apt-get install chromium)"
    )


def html_to_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Print `html_path` to `pdf_path` (A4 per the page's @page rule, no browser header or footer).

    The PDF is written beside its target and renamed into place: a reader never sees half of one."""
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path)
    program = chromium()
    with tempfile.TemporaryDirectory(prefix="svcmon-chromium-") as profile:
        partial = pdf_path.with_name(f".{pdf_path.name}.partial")
        try:
            try:
                done = subprocess.run(
                    [program, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     f"--user-data-dir={profile}", "--no-pdf-header-footer", f"--print-to-pdf={partial}",
                     html_path.as_uri()],
                    capture_output=True, text=True, timeout=PRINT_TIMEOUT_SECONDS,
                )
            except subprocess.TimeoutExpired:
                raise PublicationError(
                    f"chromium 打印 {html_path.name} 超过 {PRINT_TIMEOUT_SECONDS} 秒未完成 / "
                    f"chromium did not print {html_path.name} within {PRINT_TIMEOUT_SECONDS} s"
                ) from None
            if done.returncode != 0 or not partial.exists() or partial.read_bytes()[:5] != b"%PDF-":
                last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
                raise PublicationError(
                    f"chromium 未能把 {html_path.name} 打印为 PDF（退出码 {done.returncode}）：{last} / "
                    f"chromium could not print {html_path.name} to PDF (exit {done.returncode}): {last}"
                )
            os.replace(partial, pdf_path)
        finally:
            if partial.exists():
                partial.unlink()
    return pdf_path
