"""dbt, started in the folder `SVCMON_DBT_FOLDER` names: the DuckDB warehouse's own folder.

dagster-dbt starts dbt in the project folder. A home's DuckDB file reaches dbt's profile by its
name alone (`orchestration.dbt.dbt_environment`), read from the folder dbt runs in, so every home
renders the same profile. dbt parses the whole project again whenever the profile differs from the
one of the parse it starts from (~5 s); with one profile for all homes, a new home's first dbt
command starts from the package's prepared parse instead. Run as `python -m orchestration.dbt_launcher
<dbt arguments>`; it imports nothing of svcmon but this module and `process_exit`, and it ends
without the interpreter's teardown, like the CLI.

A warm start. Importing dbt takes ~2 s of a core before dbt does anything, while the CLI that asks
for the build is still importing Dagster on the other core. `start_warm_dbt` starts this module
early as `--svcmon-warm FD PARENT` (a listening Unix socket it hands down): it imports dbt, then
serves exactly one command and ends. The launcher dagster-dbt starts for that command finds the
socket's path in `SVCMON_DBT_WARM`, hands over its arguments, environment, folder and standard
streams, forwards SIGINT/SIGTERM, and exits with dbt's exit code. Whenever no warm dbt answers
before running anything, the launcher runs dbt itself, as without one.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from orchestration.process_exit import exit_code, exit_without_teardown

# How svcmon starts dbt, from the assets and everywhere else: the dbt of this Python's environment
# (a virtualenv's runs work without it being activated), through this module, which first enters
# the DuckDB warehouse's folder.
DBT_COMMAND = (sys.executable, "-m", "orchestration.dbt_launcher")
FOLDER_ENV = "SVCMON_DBT_FOLDER"
WARM_ENV = "SVCMON_DBT_WARM"  # the path of a warm dbt's socket, for one command
WARM_FLAG = "--svcmon-warm"
_STARTED, _EXIT = "started", "exit"


def run_dbt(args: list[str]) -> int:
    """dbt's own command line, run in this process (in `FOLDER_ENV` when set); its exit code."""
    folder = os.environ.get(FOLDER_ENV)
    if folder:
        os.makedirs(folder, exist_ok=True)  # DuckDB creates the file, not its folder
        os.chdir(folder)
    from dbt.cli.main import cli

    sys.argv = ["dbt", *args]  # what dbt's own script is called: its messages name the command as usual
    try:
        cli()
    except SystemExit as ended:
        return exit_code(ended)
    return 0


# --- the launcher dagster-dbt starts ----------------------------------------------------------------

def _lines(connection: socket.socket):
    """The server's replies, one line at a time, until it closes the connection."""
    with connection.makefile("r", encoding="utf-8") as replies:
        yield from (line.strip() for line in replies)


def _through_warm(path: str, args: list[str]) -> int | None:
    """dbt's exit code after the warm dbt at `path` ran `args`; None when it ran nothing (gone, or
    it ended before starting), so the caller runs dbt itself."""
    server: int | None = None
    pending: list[int] = []

    def forward(number: int, _frame) -> None:  # noqa: ANN001 - the signal module's signature
        if server is None:
            pending.append(number)
            return
        try:
            os.kill(server, number)
        except ProcessLookupError:
            pass

    # Before connecting: an interrupt that comes while the command is handed over is not lost.
    signal.signal(signal.SIGINT, forward)  # dagster-dbt interrupts dbt with SIGINT
    signal.signal(signal.SIGTERM, forward)
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(path)
        request = json.dumps({"args": args, "env": dict(os.environ), "cwd": os.getcwd()}).encode()
        socket.send_fds(connection, [len(request).to_bytes(8, "big")], [0, 1, 2])
        connection.sendall(request)
        replies = _lines(connection)
        started = next(replies, "")
    except OSError:
        started = ""
    if not started.startswith(_STARTED):
        connection.close()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if pending:
            sys.exit(128 + pending[0])  # interrupted before any dbt ran
        return None
    server = int(started.split()[1])
    for number in pending:
        forward(number, None)
    ended = next(replies, "")
    connection.close()
    if ended.startswith(_EXIT):
        return int(ended.split()[1])
    print(f"dbt's process {server} ended without an exit code", file=sys.stderr)
    return 1


# --- the warm dbt ------------------------------------------------------------------------------------

def _receive(connection: socket.socket) -> tuple[dict, list[int]]:
    """The launcher's request (arguments, environment, folder) and its standard streams' descriptors."""
    header, fds, _flags, _address = socket.recv_fds(connection, 8, 3)
    size = int.from_bytes(header, "big")
    body = b""
    while len(body) < size:
        chunk = connection.recv(size - len(body))
        if not chunk:
            raise ConnectionError("the launcher closed the connection")
        body += chunk
    return json.loads(body), fds


def _serve(listener_fd: int, parent: int) -> None:
    """Import dbt, then run the one command a launcher hands over. Ends without running anything when
    the process that started it (`parent`) ends first."""
    listener = socket.socket(fileno=listener_fd)
    import dbt.cli.main  # noqa: F401 - the point of a warm start

    for adapter in ("duckdb", "postgres"):  # what dbt imports when it reads the profile
        try:
            __import__(f"dbt.adapters.{adapter}")
        except ImportError:
            pass
    listener.settimeout(0.5)
    while True:
        try:
            connection, _ = listener.accept()
            break
        except TimeoutError:
            if os.getppid() != parent:
                return
    listener.close()
    connection.settimeout(None)
    # Only a process of this user may hand over a command (the socket's folder is the user's alone too).
    uid = int.from_bytes(connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)[4:8], sys.byteorder)
    if uid != os.getuid():
        return
    request, fds = _receive(connection)
    for target, fd in zip((0, 1, 2), fds, strict=True):
        os.dup2(fd, target)
        os.close(fd)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    connection.sendall(f"{_STARTED} {os.getpid()}\n".encode())
    code = run_dbt(request["args"])
    sys.stdout.flush()
    sys.stderr.flush()
    connection.sendall(f"{_EXIT} {code}\n".encode())


# --- starting a warm dbt (in the process that asks for dbt commands) -------------------------------
_waiting: tuple[str, subprocess.Popen] | None = None
_started: list[tuple[subprocess.Popen, Path]] = []


def start_warm_dbt() -> None:
    """Start dbt's process now, ahead of the dbt step of the run about to start: it imports dbt (~2 s)
    on the other core while this process imports Dagster and opens the run. The next dbt command
    started with `take_warm_dbt`'s socket uses it; one already waiting is kept. One left unused is
    stopped when this process exits, and stops by itself when this process dies."""
    global _waiting
    if _waiting is not None and _waiting[1].poll() is None:
        return
    folder = Path(tempfile.mkdtemp(prefix="svcmon-dbt-"))  # the user's alone: only they can connect
    path = folder / "dbt.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(str(path))
        listener.listen(1)
        process = subprocess.Popen([*DBT_COMMAND, WARM_FLAG, str(listener.fileno()), str(os.getpid())],
                                   pass_fds=(listener.fileno(),), stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        return  # dbt starts cold, as without a warm start
    finally:
        listener.close()  # the warm process holds it now
    if not _started:
        atexit.register(_end_warm_dbt)
    _started.append((process, folder))
    _waiting = (str(path), process)


def take_warm_dbt() -> str | None:
    """The socket of the warm dbt waiting for a command (for `WARM_ENV`), once; None when none waits."""
    global _waiting
    waiting, _waiting = _waiting, None
    return waiting[0] if waiting is not None and waiting[1].poll() is None else None


def _end_warm_dbt() -> None:
    """At exit: a warm dbt still waiting is stopped; one running a command is left to end as dbt
    started cold would be."""
    for process, folder in _started:
        if _waiting is not None and process is _waiting[1] and process.poll() is None:
            process.terminate()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == [WARM_FLAG]:
        _serve(int(args[1]), int(args[2]))
        exit_without_teardown(0)  # its command's exit code went to the launcher
    warm = os.environ.pop(WARM_ENV, None)
    if warm:
        code = _through_warm(warm, args)
        if code is not None:
            sys.exit(code)
    exit_without_teardown(run_dbt(args))


if __name__ == "__main__":
    main()
