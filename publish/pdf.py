"""PDF of a brief: the HTML printed by headless Chromium (its print stylesheet paginates A4).

Chromium is a stated dependency (README, `.ci/run`): without it report writing stops with a
one-line error naming the program, before any file is written.

Printing goes through the browser's DevTools protocol, not `--print-to-pdf`: one browser serves
every print of a `printing()` block (the report step's months), each page in a tab of its own.
Starting Chromium is half of a one-shot print (about 2 s of 4 s here); a block pays it once. Inside
a block the prints run in a thread of their own while the caller writes its next files (Chromium
works in its own processes); the block ends when every PDF is in place, or with the first error.
"""

from __future__ import annotations

import base64
import contextvars
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from publish.errors import PublicationError

# Debian's package installs `chromium`; other systems name the same browser differently.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
PRINT_TIMEOUT_SECONDS = 120
START_TIMEOUT_SECONDS = 60
# The page's @page rule sets A4 and the margin boxes (page numbers); the browser adds no header or footer.
PRINT_OPTIONS = {"printBackground": True, "preferCSSPageSize": True, "displayHeaderFooter": False}


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


class _Unprintable(Exception):
    """What went wrong with one print, in English, for the bilingual error."""


class Printer:
    """One headless Chromium, started at the first print and stopped when the block ends."""

    def __init__(self) -> None:
        self._stack = ExitStack()
        self._ids = itertools.count(1)
        self._process: subprocess.Popen | None = None
        self._socket: Any = None

    def __enter__(self) -> Printer:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
        self._process = self._socket = None

    def _start(self) -> None:
        from websockets.sync.client import connect

        program = chromium()
        root = Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix="svcmon-chromium-", ignore_cleanup_errors=True)))
        profile, log_path = root / "profile", root / "chromium.log"
        log = self._stack.enter_context(log_path.open("w+", encoding="utf-8", errors="replace"))
        self._process = subprocess.Popen(
            [program, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
        )
        self._stack.callback(self._stop)
        # Chromium names its free port and browser endpoint in this file once it listens.
        active_port = profile / "DevToolsActivePort"
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            lines = active_port.read_text().splitlines() if active_port.exists() else []
            if len(lines) >= 2:
                break
            if self._process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                last = (log_path.read_text(errors="replace").strip().splitlines() or ["(no output)"])[-1]
                cause = (f"exit {self._process.returncode}" if self._process.poll() is not None
                         else f"no answer within {START_TIMEOUT_SECONDS} s")
                raise PublicationError(f"chromium 未能启动（{cause}）：{last} / chromium did not start ({cause}): {last}")
            time.sleep(0.05)
        # proxy=None: a proxy named in the environment must not see the browser on localhost.
        self._socket = self._stack.enter_context(
            connect(f"ws://127.0.0.1:{int(lines[0])}{lines[1]}", max_size=None, proxy=None,
                    open_timeout=START_TIMEOUT_SECONDS)
        )

    def _stop(self) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _call(self, method: str, deadline: float, session: str | None = None,
              until_event: str | None = None, **params: Any) -> dict:
        """Send one command and return its result; with `until_event`, return once that event of
        the session has also arrived (it may come before or after the answer)."""
        from websockets.exceptions import ConnectionClosed

        request_id = next(self._ids)
        message: dict[str, Any] = {"id": request_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        result, event_seen = None, until_event is None
        try:
            self._socket.send(json.dumps(message))
            while result is None or not event_seen:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                answer = json.loads(self._socket.recv(timeout=left))
                if answer.get("id") == request_id:
                    if "error" in answer:
                        raise _Unprintable(f"{method}: {answer['error'].get('message', answer['error'])}")
                    result = answer.get("result", {})
                elif answer.get("method") == until_event and answer.get("sessionId") == session:
                    event_seen = True
        except ConnectionClosed:
            raise _Unprintable(f"the browser went away (exit {self._process.poll()})") from None
        return result

    def print(self, html_path: Path, pdf_path: Path) -> Path:
        """Print `html_path` to `pdf_path` (A4 per the page's @page rule, no browser header or footer).

        The PDF is written beside its target and renamed into place: a reader never sees half of one."""
        html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path)
        if self._socket is None:
            try:
                self._start()
            except BaseException:
                self.__exit__()
                raise
        deadline = time.monotonic() + PRINT_TIMEOUT_SECONDS
        partial = pdf_path.with_name(f".{pdf_path.name}.partial")
        target = None
        try:
            target = self._call("Target.createTarget", deadline, url="about:blank")["targetId"]
            session = self._call("Target.attachToTarget", deadline, targetId=target, flatten=True)["sessionId"]
            self._call("Page.enable", deadline, session)
            loaded = self._call("Page.navigate", deadline, session, until_event="Page.loadEventFired",
                                url=html_path.as_uri())
            if loaded.get("errorText"):
                raise _Unprintable(loaded["errorText"])
            # Fonts are local (Noto CJK), but the layout must not be printed before they are applied.
            self._call("Runtime.evaluate", deadline, session, expression="document.fonts.ready.then(() => true)",
                       awaitPromise=True)
            data = base64.b64decode(self._call("Page.printToPDF", deadline, session, **PRINT_OPTIONS)["data"])
            if data[:5] != b"%PDF-":
                raise _Unprintable("the browser's answer is not a PDF")
            partial.write_bytes(data)
            os.replace(partial, pdf_path)
        except TimeoutError:
            raise PublicationError(
                f"chromium 打印 {html_path.name} 超过 {PRINT_TIMEOUT_SECONDS} 秒未完成 / "
                f"chromium did not print {html_path.name} within {PRINT_TIMEOUT_SECONDS} s"
            ) from None
        except _Unprintable as cause:
            raise PublicationError(
                f"chromium 未能把 {html_path.name} 打印为 PDF：{cause} / "
                f"chromium could not print {html_path.name} to PDF: {cause}"
            ) from None
        finally:
            if partial.exists():
                partial.unlink()
            if target is not None and self._process.poll() is None:
                try:
                    self._call("Target.closeTarget", time.monotonic() + 10, targetId=target)
                except (TimeoutError, _Unprintable):
                    pass  # the next print opens a tab of its own
        return pdf_path


class _Block:
    """A `printing()` block: its browser, and the prints queued to it in one thread."""

    def __init__(self, printer: Printer) -> None:
        self.printer = printer
        self.pending: list[Future] = []
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="svcmon-print")

    def finish(self) -> None:
        """Wait for every queued print; raise the first failure (the later prints still run)."""
        self.thread.shutdown(wait=True)
        for future in self.pending:
            future.result()


_open_block: contextvars.ContextVar[_Block | None] = contextvars.ContextVar("svcmon_printing", default=None)


@contextmanager
def printing() -> Iterator[None]:
    """One browser for every `html_to_pdf` inside the block (a nested block joins the outer one); it
    starts at the block's first print, so a block that prints nothing needs no browser. The prints
    run beside the block's other work; the outermost block waits for all of them when it ends."""
    if _open_block.get() is not None:
        yield
        return
    with Printer() as printer:
        block = _Block(printer)
        token = _open_block.set(block)
        try:
            yield
        except BaseException:
            block.thread.shutdown(wait=True, cancel_futures=True)  # no print outlives its browser
            raise
        else:
            block.finish()
        finally:
            _open_block.reset(token)


def html_to_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Print `html_path` to `pdf_path`: inside a `printing()` block queued to its browser (the PDF is in
    place when the block ends), outside one at once with a browser of its own."""
    block = _open_block.get()
    if block is None:
        with Printer() as printer:
            return printer.print(html_path, pdf_path)
    block.pending.append(block.thread.submit(block.printer.print, html_path, pdf_path))
    return Path(pdf_path)
