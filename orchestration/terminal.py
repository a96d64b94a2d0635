"""How the CLI talks: one line per file, progress bars per stage, one line per failure.

- User text (file names, cell values, reasons) is printed with Rich markup off and control
  characters escaped, so `[/]` or an ANSI escape in a file name is shown, never interpreted.
- File names and paths are never wrapped or cut: they are printed on lines of their own with
  soft wrapping (the terminal may fold a long line; nothing inserts a newline into a name), and
  outside a terminal (a pipe, a log) every file is one plain line `grep` finds.
- Long commands show one progress bar per stage in a terminal; outside one, one line when a
  stage ends. `--verbose` brings back Dagster's and dbt's logs instead.
"""

from __future__ import annotations

import io
import re
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text


def plain(value: object) -> str:
    """User text safe to print: control characters (ANSI escapes, NUL, newlines) shown as escapes,
    surrogates (an undecodable file name) as the replacement character."""
    text = str(value)
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if _has_surrogates(text) else text
    return "".join(ch.encode("unicode_escape").decode("ascii") if _moves_text(ch) else ch for ch in text)


def _moves_text(ch: str) -> bool:
    """Control characters, and the invisible ones that reorder or hide text (bidi overrides, zero widths)."""
    return unicodedata.category(ch) == "Cc" or "\u200b" <= ch <= "\u200f" or "\u2028" <= ch <= "\u202e" \
        or "\u2066" <= ch <= "\u2069"


def _has_surrogates(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)


LOG_WIDTH = 200


class Out:
    """The CLI's console for one command: stdout, markup only in the CLI's own words."""

    def __init__(self, *, verbose: bool = False) -> None:
        # Bound to the streams of this command: dbt's output is redirected away while it runs.
        self.console = Console(file=sys.stdout, highlight=False, soft_wrap=True)
        if not self.console.is_terminal:  # a pipe or a log: tables at their natural width, never cut
            self.console = Console(file=sys.stdout, highlight=False, soft_wrap=True, width=LOG_WIDTH)
        self.errors = Console(file=sys.stderr, highlight=False, soft_wrap=True)
        self.verbose = verbose

    @property
    def is_terminal(self) -> bool:
        return self.console.is_terminal

    def line(self, *parts: object, style: str | None = None) -> None:
        """One line of user text (no markup, control characters escaped)."""
        self.console.print(Text(" ".join(plain(p) for p in parts), style=style or ""))

    def styled(self, *pieces: tuple[object, str | None]) -> None:
        """One line of pieces, each (user text, style)."""
        text = Text()
        for value, style in pieces:
            text.append(plain(value), style=style or "")
        self.console.print(text)

    def fail(self, message: object) -> None:
        """The one line a failing command ends with (stderr)."""
        self.errors.print(Text(plain(message), style="red"))

    def markup(self, text: str) -> None:
        """The CLI's own words with Rich markup (never user text)."""
        self.console.print(text)


# --- stages -----------------------------------------------------------------------------------

DBT_PROGRESS = re.compile(r"(\d+) of (\d+) (OK|PASS|WARN|ERROR|FAIL|SKIP|NO-OP)\b")


@dataclass
class _Stage:
    label: str
    total: int | None
    done: int = 0
    task: TaskID | None = None
    started: float = field(default_factory=time.perf_counter)
    closed: bool = False


class Stages:
    """Progress of a long command, one bar per stage (terminal) or one line per finished stage."""

    def __init__(self, out: Out) -> None:
        self.out = out
        self.stages: dict[str, _Stage] = {}
        self.progress: Progress | None = None
        if out.is_terminal and not out.verbose:
            self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), console=out.console, transient=False)

    def __enter__(self) -> Stages:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for key, stage in self.stages.items():
            if not stage.closed and exc[0] is None:
                self.finish(key)
        if self.progress is not None:
            self.progress.stop()

    def start(self, key: str, label: str, total: int | None = None) -> None:
        stage = _Stage(label, total)
        self.stages[key] = stage
        if self.progress is not None:
            stage.task = self.progress.add_task(label, total=total)

    def advance(self, key: str, by: int = 1, *, total: int | None = None) -> None:
        self.update(key, self.stages[key].done + by, total=total)

    def update(self, key: str, done: int, *, total: int | None = None) -> None:
        stage = self.stages[key]
        stage.done = done
        if total is not None:
            stage.total = total
        if self.progress is not None and stage.task is not None:
            self.progress.update(stage.task, completed=done, total=stage.total)

    def finish(self, key: str, note: str = "") -> None:
        stage = self.stages[key]
        if stage.closed:
            return
        stage.closed = True
        if stage.total is not None:
            self.update(key, max(stage.done, stage.total) if not note else stage.done)
        if self.progress is None:
            count = f"{stage.done}/{stage.total}" if stage.total is not None else f"{stage.done}"
            self.out.line(f"{stage.label}: {count} ({time.perf_counter() - stage.started:.0f} s){note}")

    def note(self, message: str) -> None:
        """A line printed above the bars."""
        self.out.line(message)


class DbtOutput(io.TextIOBase):
    """Where dbt's console lines go when not verbose: counted for the dbt bar, the last ones kept
    for a failure message. dagster-dbt re-emits every dbt event on stdout."""

    def __init__(self, on_result) -> None:
        self.on_result = on_result
        self.tail: list[str] = []
        self._buffer = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._buffer += text
        *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            self.tail = [*self.tail[-199:], line]
            match = DBT_PROGRESS.search(line)
            if match:
                self.on_result(int(match.group(1)), int(match.group(2)))
        return len(text)

    def error_lines(self) -> list[str]:
        return [line.strip() for line in self.tail
                if re.search(r"\b(ERROR|FAIL)\b|Error|error:", line) and " of " not in line][:5]


@contextmanager
def dbt_output_to(stages: Stages, key: str, *, verbose: bool, estimated_total: int | None,
                  on_start: Callable[[], None] | None = None) -> Iterator[DbtOutput | None]:
    """Count dbt's results into the stage `key` (every dbt invocation of the block adds up).
    `on_start` is called once, at dbt's first result: dbt's process is running by then (verbose,
    where dbt's lines are not read, at once)."""
    if verbose:
        if on_start is not None:
            on_start()
        yield None
        return
    run = {"base": 0, "total": None, "done": 0}  # nodes of earlier invocations; the current one's
    waiting = [on_start] if on_start is not None else []

    def on_result(_number: int, total: int) -> None:
        while waiting:
            waiting.pop()()
        if run["total"] is None or run["done"] >= run["total"] or total != run["total"]:
            # A new dbt invocation (its numbering starts again): its nodes add to the total.
            run["base"] += run["total"] or 0
            run["total"], run["done"] = total, 0
        run["done"] += 1
        stages.update(key, run["base"] + run["done"], total=max(run["base"] + total, estimated_total or 0))

    sink = DbtOutput(on_result)
    with redirect_stdout(sink):
        yield sink

