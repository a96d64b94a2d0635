"""PostgreSQL for the tests: each test (or module) gets a database of its own on the server that
`SVCMON_TEST_PG_URL` names (`.ci/run` starts a throw-away cluster with `.ci/postgres start DIR`
and exports it). Without it the tests marked `postgres` skip, saying why. Nothing is mocked.

    pytestmark = pytest.mark.postgres
    def test_x(pg_url): ...                        # a fresh database, dropped afterwards

Roles are the server's: tests that create logins give them unique names and drop them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

SKIP_REASON = ("PostgreSQL tests need a server: set SVCMON_TEST_PG_URL=postgresql://… "
               "(`.ci/postgres start DIR` starts a throw-away one and prints it)")


def server_url() -> str:
    url = os.environ.get("SVCMON_TEST_PG_URL")
    if not url:
        pytest.skip(SKIP_REASON)
    return url


def with_database(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + quote(database)))


def with_login(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=f"{quote(user)}:{quote(password)}@{host}"))


def admin(sql: str) -> None:
    """One statement on the server's own database, as the server URL's login (a superuser in CI)."""
    import psycopg

    with psycopg.connect(server_url(), autocommit=True) as con:
        con.execute(sql)


@contextmanager
def fresh_database(prefix: str = "svcmon_test") -> Iterator[str]:
    """The URL of a new, empty database; dropped (connections and all) afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(server_url(), name)
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def login_role(*roles: str) -> Iterator[tuple[str, str]]:
    """A new login (name, password) granted `roles` the plain way (`GRANT role TO name`); dropped afterwards."""
    name, password = f"person_{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
    admin(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
    try:
        for role in roles:
            admin(f"GRANT {role} TO {name}")
        yield name, password
    finally:
        admin(f"DROP ROLE IF EXISTS {name}")


@pytest.fixture
def pg_url() -> Iterator[str]:
    server_url()
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="module")
def pg_module_url() -> Iterator[str]:
    server_url()
    with fresh_database() as url:
        yield url
