"""Issue 14: no file can stop landing. A corpus of crafted files (built here, in a temporary
folder, never committed) lands beside good files through the real `svcmon land` process: each bad
one is rejected or ignored with its reason, every good one is accepted, the process ends normally
and prints no traceback. Memory is measured by `benchmarks/bench_hostile_files.py`, not here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest import landing
from ingest.isolation import read_isolated
from ingest.limits import ReadLimits
from tests import crafted
from tests.conftest import query

FAI_CSV = "鹿城区{title}固定资产投资\n指标名称,增速,占比\n固定资产投资,5.0,100\n服务业投资,8.5,67.0\n"
REPO = Path(__file__).resolve().parent.parent
GBK_NAME = "固定资产投资202405.csv".encode("gbk")  # a name from a Chinese Windows zip: not UTF-8
MARKUP_NAME = "[bold red]固定\x1b[2J\x1b[31m投资[link=x]202406.csv"  # no "/": a name cannot hold one


def build_corpus(root: Path) -> dict[str, Path]:
    fai = root / "home" / "inbox" / "stats_fai"
    fai.mkdir(parents=True)
    outside = root / "outside" / "固定资产投资202407.csv"
    outside.parent.mkdir()
    outside.write_text(FAI_CSV.format(title="2024年1-7月"), encoding="utf-8")
    files = {
        "dimension_bomb": crafted.dimension_bomb(fai / "固定资产投资202401.xlsx"),
        "far_cell_bomb": crafted.far_cell_bomb(fai / "固定资产投资202402.xlsx"),
        "shared_strings_bomb": crafted.shared_strings_bomb(fai / "固定资产投资202403.xlsx"),
        "oversize_csv": crafted.oversize_csv(fai / "固定资产投资202404.csv", 51 * 1024 * 1024),
        "markup_cell": fai / "固定资产投资202408.csv",
        "link_out": fai / "固定资产投资202407.csv",
        "good_csv": fai / "固定资产投资202409.csv",
        "good_xlsx": crafted.write_workbook(fai / "固定资产投资202410.xlsx", crafted.FAI_ROWS[1:]),
    }
    files["markup_cell"].write_text("报告期,指标名称,增速\n[/],服务业投资,8.5\n", encoding="utf-8")
    files["link_out"].symlink_to(outside)
    files["good_csv"].write_text(FAI_CSV.format(title="2024年1-9月"), encoding="utf-8")
    # Names are data: not UTF-8, Rich markup and terminal escapes, a Windows path.
    gbk = os.path.join(os.fsencode(fai), GBK_NAME)
    with open(gbk, "wb") as fh:
        fh.write(FAI_CSV.format(title="").encode("utf-8"))
    files["non_utf8_name"] = Path(os.fsdecode(gbk))
    files["markup_name"] = fai / MARKUP_NAME
    files["markup_name"].write_text(FAI_CSV.format(title="2024年1-6月").replace("占比", "\x1b[2J占比[/]"),
                                    encoding="utf-8")
    files["windows_path"] = fai / "..\\..\\固定资产投资202411.csv"
    files["windows_path"].write_text(FAI_CSV.format(title=""), encoding="utf-8")
    files["lock_file"] = fai / "~$固定资产投资202412.xlsx"
    files["lock_file"].write_bytes(b"lock")
    return files


def test_crafted_files_land_beside_good_ones_and_the_process_never_dies(tmp_path):
    build_corpus(tmp_path)
    home = tmp_path / "home"
    env = {**os.environ, "SVCMON_HOME": str(home), "COLUMNS": "1000", "PYTHONPATH": str(REPO)}
    env.pop("SVCMON_INBOX", None)
    process = subprocess.run([sys.executable, "-m", "orchestration.cli", "land"], env=env, cwd=tmp_path,
                             capture_output=True, text=True, timeout=600)
    output = process.stdout + process.stderr
    assert process.returncode == 0, output
    assert "Traceback" not in output and "Error" not in output
    # Escapes and markup are shown as text, never sent to the terminal or interpreted.
    assert "\x1b" not in output
    assert "[bold red]固定\\x1b[2J\\x1b[31m投资[link=x]202406.csv" in output
    assert "[/]" in output and "\\x1b[2J占比[/]" in output  # the markup cell in a reason and in a warning
    assert "接收 accepted 4 · 退回 rejected 6" in output
    assert "忽略 ignored 2" in output and "文件名含路径分隔符" in output and "Excel锁定文件" in output

    register = {name: (status, reason) for name, status, reason in query(
        home, "SELECT file_name, status, reason FROM raw.file_register")}
    too_large = "文件过大或结构异常"
    assert "声明的范围 1048576 行" in register["固定资产投资202401.xlsx"][1]
    assert too_large in register["固定资产投资202401.xlsx"][1]
    assert too_large in register["固定资产投资202402.xlsx"][1] and "1048576 行" in register["固定资产投资202402.xlsx"][1]
    assert "共享字符串超过 2000000 个" in register["固定资产投资202403.xlsx"][1]
    assert "上限 50 MB" in register["固定资产投资202404.csv"][1]
    assert "链接指向收件箱之外" in register["固定资产投资202407.csv"][1]
    assert "报告期「[/]」" in register["固定资产投资202408.csv"][1]
    shown_gbk = GBK_NAME.decode("utf-8", "replace")
    assert {name for name, (status, _) in register.items() if status == "accepted"} == {
        "固定资产投资202409.csv", "固定资产投资202410.xlsx", shown_gbk, MARKUP_NAME}
    assert {r[0] for r in query(home, "SELECT status FROM raw.file_register WHERE file_name IN (?, ?)",
                                ["~$固定资产投资202412.xlsx", "..\\..\\固定资产投资202411.csv"])} == set()
    # The name that is not UTF-8 is kept to the byte, shown with replacement characters.
    assert query(home, "SELECT file_name_bytes, period FROM raw.file_register WHERE file_name = ?",
                 [shown_gbk]) == [(GBK_NAME, "2024-05")]
    # Nothing half-written is left in the archive.
    assert not list((home / "archive").rglob(f"{landing.TEMP_PREFIX}*"))


def test_a_file_growing_while_it_lands_is_left_for_the_next_run(home, monkeypatch):
    inbox = home / "inbox"
    path = inbox / "stats_fai" / "固定资产投资202406.csv"
    path.parent.mkdir(parents=True)
    path.write_text(FAI_CSV.format(title="2024年1-6月"), encoding="utf-8")
    copy_and_hash = landing._copy_and_hash

    def copy_while_the_department_writes(source, folder):
        copied = copy_and_hash(source, folder)
        with open(source, "a", encoding="utf-8") as fh:  # the rest of the file arrives meanwhile
            fh.write("第三产业投资,9.1,70.0\n")
        return copied

    monkeypatch.setattr(landing, "_copy_and_hash", copy_while_the_department_writes)
    con = landing.connect()
    try:
        [first] = landing.land_inbox(con, inbox)
        assert first.status == "deferred" and "留待下次" in first.reason
        assert con.execute("SELECT count(*) FROM raw.file_register").fetchone()[0] == 0
        assert not [p for p in (home / "archive").rglob("*") if p.is_file()]

        monkeypatch.setattr(landing, "_copy_and_hash", copy_and_hash)
        [second] = landing.land_inbox(con, inbox)
        assert (second.status, second.rows) == ("accepted", 3)
        # The register's hash, the archived bytes and the rows are one reading of the same bytes.
        sha, archived = con.execute("SELECT file_sha256, archive_path FROM raw.file_register").fetchone()
        assert Path(archived).read_bytes() == path.read_bytes() and landing.sha256_of(Path(archived)) == sha
        assert con.execute("SELECT count(*) FROM raw.stats_fai WHERE _file_sha256 = ?", [sha]).fetchone()[0] == 3
    finally:
        con.close()


def test_ignored_names_are_listed_and_links_inside_the_inbox_are_read(home):
    inbox = home / "inbox"
    fai = inbox / "stats_fai"
    fai.mkdir(parents=True)
    (fai / "固定资产投资202406.csv").write_text(FAI_CSV.format(title="2024年1-6月"), encoding="utf-8")
    (inbox / "shared").mkdir()
    (inbox / "shared" / "固定资产投资202407.csv").write_text(FAI_CSV.format(title="2024年1-7月"), encoding="utf-8")
    (fai / "固定资产投资202407.csv").symlink_to(inbox / "shared" / "固定资产投资202407.csv")
    (fai / ".~固定资产投资.csv").write_text("x", encoding="utf-8")
    (fai / "子目录链接").symlink_to(inbox / "shared", target_is_directory=True)
    os.mkfifo(fai / "管道202406.csv")  # never opened: reading a pipe would hang landing
    con = landing.connect()
    try:
        results = landing.land_inbox(con, inbox)
    finally:
        con.close()
    accepted = sorted((r.file_name, r.period) for r in results if r.status == "accepted")
    assert accepted == [("固定资产投资202406.csv", "2024-06"), ("固定资产投资202407.csv", "2024-07")]
    assert sorted((i.file_name, i.reason.split(" / ")[1]) for i in results.ignored) == [
        (".~固定资产投资.csv", "a hidden file"), ("子目录链接", "a link to a folder, not followed"),
        ("管道202406.csv", "not a regular file")]


@pytest.mark.parametrize("memory_mb", [1024, 200])
def test_a_file_that_exhausts_the_reading_process_is_a_rejection(tmp_path, memory_mb):
    """With the declared-size checks out of the way, the child's memory limit still turns the
    512 GiB allocation calamine attempts into a rejection of that file; the next file reads."""
    from ingest.errors import FeedRejection

    bomb = crafted.far_cell_bomb(tmp_path / "固定资产投资202402.xlsx")
    unchecked = ReadLimits(max_rows=10**9, max_columns=10**6, memory_bytes=memory_mb * 1024 * 1024)
    with pytest.raises(FeedRejection, match="文件过大或结构异常.*memory allocation"):
        read_isolated(bomb, "stats_fai", limits=unchecked)
    good = crafted.write_workbook(tmp_path / "固定资产投资202406.xlsx", crafted.FAI_ROWS)
    assert read_isolated(good, "stats_fai").period == "2024-06"
