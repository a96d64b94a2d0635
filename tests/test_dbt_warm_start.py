"""dbt's warm start (`orchestration/dbt_launcher.py`): a dbt process started ahead imports dbt, then
runs the one command a launcher hands it, with the launcher's arguments, environment, folder, output
and exit code, as dbt started cold would. Without one (gone, never started, not answering) the
launcher runs dbt itself. One left unused ends with the process that started it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psutil
import pytest

from orchestration import dbt_launcher
from orchestration.dbt import DBT_PROJECT_DIR, run_dbt_process
from orchestration.dbt_launcher import DBT_COMMAND, WARM_ENV, start_warm_dbt, take_warm_dbt


@pytest.fixture
def warm():
    """A warm dbt started now; stopped after the test if it is still there."""
    start_warm_dbt()
    process = dbt_launcher._started[-1][0]
    yield process
    if process.poll() is None:
        process.kill()
        process.wait()


def _ls(tmp_path: Path, work: str) -> subprocess.CompletedProcess:
    """`dbt ls` of the project's seeds (reads the project and profile, opens no database)."""
    return run_dbt_process(tmp_path / "warehouse.duckdb", "ls", "--resource-type", "seed", "--output", "name",
                           "--quiet", work=tmp_path / work)


def test_the_warm_dbt_runs_the_next_command_as_dbt_started_cold_would(tmp_path, warm):
    done = _ls(tmp_path, "warm")
    assert warm.wait(timeout=60) == 0  # it served the command and ended
    assert take_warm_dbt() is None  # one command only
    cold = _ls(tmp_path, "cold")
    assert (done.returncode, done.stdout, done.stderr) == (cold.returncode, cold.stdout, cold.stderr)
    seeds = {path.stem for path in (DBT_PROJECT_DIR / "seeds").rglob("*.csv")}
    assert done.returncode == 0 and seeds and set(done.stdout.split()) == seeds
    # dbt ran in the launcher's place: its target folder and logs are where the command said
    assert (tmp_path / "warm" / "logs" / "dbt.log").exists()


def test_dbt_s_exit_code_and_error_reach_the_launcher(tmp_path, warm):
    environment = {**os.environ, WARM_ENV: take_warm_dbt()}
    done = subprocess.run([*DBT_COMMAND, "build", "--no-such-flag"], env=environment, capture_output=True,
                          text=True, check=False)
    assert warm.wait(timeout=60) == 0
    cold = subprocess.run([*DBT_COMMAND, "build", "--no-such-flag"], capture_output=True, text=True, check=False)
    assert done.returncode == cold.returncode == 2
    assert "No such option" in done.stderr and done.stderr == cold.stderr


def test_without_a_warm_dbt_the_launcher_runs_dbt_itself(tmp_path):
    environment = {**os.environ, WARM_ENV: str(tmp_path / "nobody-listens.sock")}
    done = subprocess.run([*DBT_COMMAND, "build", "--no-such-flag"], env=environment, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 2 and "No such option" in done.stderr


_STARTER = textwrap.dedent("""
    import os, sys
    from orchestration import dbt_launcher
    dbt_launcher.start_warm_dbt()
    process, folder = dbt_launcher._started[-1]
    print(process.pid, folder, flush=True)
    if sys.argv[1] == "die":
        os._exit(0)  # no atexit: as a killed CLI
""")


@pytest.mark.parametrize("how", ["exit", "die"])
def test_an_unused_warm_dbt_ends_with_the_process_that_started_it(tmp_path, how):
    done = subprocess.run([sys.executable, "-c", _STARTER, how], capture_output=True, text=True, check=True)
    pid, folder = done.stdout.split()
    deadline = time.monotonic() + 60
    while psutil.pid_exists(int(pid)) and psutil.Process(int(pid)).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, f"the warm dbt {pid} outlived its parent ({how})"
        time.sleep(0.2)
    if how == "exit":
        assert not Path(folder).exists()  # its socket's folder is removed at exit


def test_the_launcher_forwards_an_interrupt_to_the_dbt_it_waits_on(tmp_path):
    """dagster-dbt interrupts dbt with SIGINT (a run terminated): the launcher passes it on to the warm
    dbt running the command, then exits with that dbt's exit code."""
    sleeper = subprocess.Popen(["sleep", "60"])
    path = str(tmp_path / "dbt.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    received = {}

    def fake_warm_dbt() -> None:  # the server's side of the protocol, running `sleeper` as "dbt"
        connection, _ = listener.accept()
        request, fds = dbt_launcher._receive(connection)
        received["args"], received["cwd"] = request["args"], request["cwd"]
        for fd in fds:
            os.close(fd)
        connection.sendall(f"started {sleeper.pid}\n".encode())
        received["code"] = sleeper.wait(timeout=30)
        connection.sendall(b"exit 130\n")
        connection.close()

    server = threading.Thread(target=fake_warm_dbt)
    server.start()
    launcher = subprocess.Popen([*DBT_COMMAND, "build", "--select", "x"], env={**os.environ, WARM_ENV: path},
                                cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while "args" not in received:  # handed over: the launcher's handlers are set
        assert time.monotonic() < deadline
        time.sleep(0.05)
    launcher.send_signal(signal.SIGINT)
    assert launcher.wait(timeout=30) == 130
    server.join(timeout=30)
    listener.close()
    assert received["code"] == -signal.SIGINT  # the "dbt" it waited on got the interrupt
    assert received["args"] == ["build", "--select", "x"] and Path(received["cwd"]) == tmp_path
