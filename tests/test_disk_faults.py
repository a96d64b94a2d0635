"""Disks that fill or refuse writes: the home on a tiny tmpfs (root only: `mount -t tmpfs`). The
command ends with one line naming the path and the cause, what landed is whole, and the rerun
after space is freed lands the rest: the same register and rows as a clean run."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import query


def _mount(where: Path, size: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, check=False).returncode == 0


@contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    if os.geteuid() != 0 or not _mount(where, size):
        pytest.skip("needs root and tmpfs mounts")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)


def _svcmon(home: Path, inbox: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SVCMON_HOME": str(home), "SVCMON_INBOX": str(inbox),
           "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    return subprocess.run([sys.executable, "-m", "orchestration.cli", *args], env=env, capture_output=True,
                          text=True, timeout=600, check=False)


def _landed(home: Path) -> list[tuple]:
    return query(home, "SELECT file_sha256, feed_id, period, status, row_count FROM raw.file_register ORDER BY 1")


def test_a_full_disk_ends_landing_with_one_line_and_the_rerun_lands_the_rest(tmp_path):
    inbox = tmp_path / "inbox"
    made = _svcmon(tmp_path / "unused", inbox, "demo-feeds", "--from", "2023-01", "--to", "2023-02", "--out", str(inbox))
    assert made.returncode == 0, made.stderr
    clean = tmp_path / "clean"
    assert _svcmon(clean, inbox, "land").returncode == 0
    files = len(_landed(clean))

    with tmpfs(tmp_path / "small", "400k") as home:
        full = _svcmon(home, inbox, "land")
        assert full.returncode == 1
        assert full.stderr.count("\n") == 1 and "Traceback" not in full.stderr
        # The archive copy or the warehouse's own write meets the full disk first: either way one line
        # naming the path under the home and the cause.
        assert str(home) in full.stderr
        assert "磁盘已满 / disk full" in full.stderr or "No space left on device" in full.stderr
        landed_before = _landed(home)
        assert 0 < len(landed_before) < files  # every file landed before the disk filled is whole

        subprocess.run(["mount", "-o", "remount,size=8m", str(home)], check=True)
        rerun = _svcmon(home, inbox, "land")
        assert rerun.returncode == 0, rerun.stderr
        assert f"接收 accepted {files - len(landed_before)} · 退回 rejected 0 · 重复 duplicate {len(landed_before)}" \
            in rerun.stdout
        assert _landed(home) == _landed(clean)
        rows = "SELECT count(*) FROM raw.stats_enterprises"
        assert query(home, rows) == query(clean, rows)

        subprocess.run(["mount", "-o", "remount,ro", str(home)], check=True)
        read_only = _svcmon(home, inbox, "land")
        assert read_only.returncode == 1
        assert read_only.stderr == f"无法写入 / cannot write {home}/writer.lock: 只读文件系统 / read-only file system\n"
