"""`orchestration.process_exit`: a process that skips the interpreter's teardown still ends as
Python's exit would (threads joined, exit handlers run, streams flushed, its exit code)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from orchestration.process_exit import exit_code


def _run(body: str, tmp_path) -> subprocess.CompletedProcess:
    script = textwrap.dedent(f"""
        import atexit, concurrent.futures, sys, threading, time
        from pathlib import Path
        from orchestration.process_exit import exit_without_teardown
        out = Path({str(tmp_path)!r})
        {textwrap.indent(textwrap.dedent(body), ' ' * 8).strip()}
    """)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)


def test_threads_exit_handlers_and_buffered_output_are_not_lost(tmp_path):
    done = _run("""
        def late_write():
            time.sleep(0.5)
            (out / "thread").write_text("written")
        threading.Thread(target=late_write).start()
        pool = concurrent.futures.ThreadPoolExecutor(1)  # never shut down: Python's exit does that
        pool.submit(lambda: (time.sleep(0.5), (out / "pool").write_text("written")))
        atexit.register(lambda: (out / "atexit").write_text("ran"))
        for i in range(20000):
            print(f"line {i}")  # a pipe: block-buffered, most of it still in the buffer at the exit
        print("to stderr", file=sys.stderr)
        exit_without_teardown(3)
    """, tmp_path)
    assert done.returncode == 3, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 20000 and lines[-1] == "line 19999"
    assert done.stderr == "to stderr\n"
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {
        "thread": "written", "pool": "written", "atexit": "ran"}


def test_a_closed_stdout_does_not_change_the_exit_code(tmp_path):
    done = _run("""
        sys.stdout.close()
        exit_without_teardown(0)
    """, tmp_path)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(("value", "code", "printed"), [
    (None, 0, ""), (0, 0, ""), (2, 2, ""), (75, 75, ""), ("失败 / failed", 1, "失败 / failed\n"),
])
def test_exit_code_is_what_sys_exit_means(value, code, printed, capsys):
    assert exit_code(SystemExit(value)) == code
    assert capsys.readouterr().err == printed
