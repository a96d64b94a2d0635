"""The reading child process (`ingest/isolation.py`): `python -m ingest.reader_child REQUESTS_FD
ANSWERS_FD MEMORY_BYTES`. Its address space is limited before the reader (and calamine) is
imported, so whatever a file makes the parser do ends this process, not the one landing."""

from __future__ import annotations

import resource
import sys


def main() -> None:
    requests_fd, answers_fd, memory_bytes = (int(a) for a in sys.argv[1:4])
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    from multiprocessing.connection import Connection

    from ingest.isolation import serve

    serve(Connection(requests_fd, writable=False), Connection(answers_fd, readable=False))


if __name__ == "__main__":
    main()
