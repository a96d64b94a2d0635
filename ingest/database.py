"""The PostgreSQL database of the shared warehouse: its schemas, extensions, roles and grants.

The one home of who may read and write what on the server (ARCHITECTURE.md "Decisions of round
two"). `svcmon db init` runs `init_database` (idempotent); every PostgreSQL session opened by
`ingest.warehouse.connect` runs `ensure_database`, which initialises a database that is not yet
and then takes the pipeline's role, so everything the pipeline creates belongs to `svcmon_owner`.

- `svcmon_owner` owns every schema and object the pipeline creates. The pipeline's login is a
  member (init grants it) and each session runs `SET ROLE svcmon_owner`; dbt's profile names the
  same role (`orchestration.dbt.dbt_environment`).
- `svcmon_analyst` reads `published` only: no raw, staging or marts (protected figures), no
  personal data, no writes.
- `svcmon_statistician` reads `quality`, `marts` and `published`, the file register and the
  vintages (the gate is judged on them; they hold no personal data), and records sign-offs.

Roles are the server's (shared by its databases), grants the database's. New tables keep their
grants: `ALTER DEFAULT PRIVILEGES FOR ROLE svcmon_owner` covers every table the owner creates,
including a publication recreating one. A person gets a role with `GRANT svcmon_analyst TO name`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingest.warehouse import Warehouse

OWNER = "svcmon_owner"
ANALYST = "svcmon_analyst"
STATISTICIAN = "svcmon_statistician"
ROLES = (OWNER, ANALYST, STATISTICIAN)

# Dagster's own tables (runs, events, schedules) when its instance uses this server (orchestration/instance.py).
DAGSTER_SCHEMA = "dagster"
SCHEMAS = ("raw", "reference", "staging", "intermediate", "marts", "quality", "published", DAGSTER_SCHEMA)
# What the pipeline writes: `svcmon demo --force` empties these (objects only; schemas, grants and roles stay).
PIPELINE_SCHEMAS = ("raw", "staging", "intermediate", "marts", "quality", "published")
# pgcrypto: hmac() for person_key (macros/pii.sql). A trusted extension: the database owner may create it.
EXTENSIONS = ("pgcrypto",)

# Every table (present and future) of these schemas is readable by the role.
SCHEMA_READERS: dict[str, tuple[str, ...]] = {
    ANALYST: ("published",),
    STATISTICIAN: ("quality", "marts", "published"),
}
# Single tables beyond those: (privilege, role) -> tables. Applied by whoever creates the tables
# (landing, the quality store) through `grant_table_privileges`, dbt's models by a post-hook each
# time dbt rebuilds them (macros/grants.sql, handed `dbt_table_grants()`), and again by `init_database`.
TABLE_GRANTS: dict[tuple[str, str], tuple[str, ...]] = {
    # The gate reads the live read set (a view over the vintages): a statistician's view of the
    # gate judges the same vintages as the pipeline's.
    ("SELECT", STATISTICIAN): ("raw.file_register", "raw.vintages", "raw.current_vintages", "raw.file_warnings",
                               "intermediate.int_read_set"),
    # sign-offs and acknowledged warnings are recorded through the CLI
    ("INSERT", STATISTICIAN): ("quality.signoffs", "quality.acknowledgements"),
}


class DatabaseNotReady(RuntimeError):
    """The database lacks the schemas or roles and this login may not create them."""


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _state(con: Warehouse) -> tuple[int, int, int]:
    """(roles present, schemas present and owned by the owner role, extensions present)."""
    return con.execute(
        "SELECT (SELECT count(*) FROM pg_roles WHERE rolname = ANY(?)), "
        "(SELECT count(*) FROM pg_namespace AS n JOIN pg_roles AS r ON r.oid = n.nspowner "
        " WHERE n.nspname = ANY(?) AND r.rolname = ?), "
        "(SELECT count(*) FROM pg_extension WHERE extname = ANY(?))",
        [list(ROLES), list(SCHEMAS), OWNER, list(EXTENSIONS)],
    ).fetchone()


def is_initialised(con: Warehouse) -> bool:
    return tuple(_state(con)) == (len(ROLES), len(SCHEMAS), len(EXTENSIONS))


def ensure_database(con: Warehouse) -> None:
    """Prepare a PostgreSQL session: initialise the database on first use, then run as the owner
    role when the login is a member of it (an analyst's or statistician's login stays itself)."""
    if not is_initialised(con):
        try:
            init_database(con)
        except Exception as exc:  # psycopg's InsufficientPrivilege and friends
            raise DatabaseNotReady(
                "数据库尚未初始化，且当前登录无权初始化：请由数据库所有者运行 svcmon db init / "
                f"the database is not initialised and this login may not do it; run `svcmon db init` "
                f"as the database's owner ({type(exc).__name__}: {str(exc).strip().splitlines()[0]})"
            ) from exc
    take_owner_role(con)


def take_owner_role(con: Warehouse) -> bool:
    """`SET ROLE svcmon_owner` when the session's login may; True when it did."""
    member = con.execute(
        "SELECT pg_has_role(session_user, ?, 'MEMBER') FROM pg_roles WHERE rolname = ?", [OWNER, OWNER]
    ).fetchone()
    if member and member[0]:
        con.execute(f"SET ROLE {OWNER}")
        return True
    return False


def init_database(con: Warehouse) -> None:
    """Create (or complete) the roles, the extensions and the schemas, owned by `svcmon_owner`,
    with every grant and default privilege. Idempotent. The first run needs a login that owns the
    database and may create roles (CREATEROLE) or a superuser; later runs only the database's owner
    that is a member of `svcmon_owner`."""
    # One transaction (PostgreSQL's DDL and role statements are transactional): a failed init
    # leaves nothing half-made, and sessions initialising one database at once wait for each other.
    # An advisory lock is the database's, but roles and memberships are the server's: sessions
    # initialising two databases of one server do not wait for each other, so each role statement
    # takes a role or membership made at the same moment elsewhere as made (`_init_in_transaction`).
    con.execute("RESET ROLE")
    with con.transaction():
        con.execute("SELECT pg_advisory_xact_lock(hashtext('svcmon db init'))")
        _init_in_transaction(con)
    con.execute("RESET ROLE")


def _init_in_transaction(con: Warehouse) -> None:
    for role in ROLES:
        # Another session may create it at the same moment: a duplicate is the wanted outcome.
        con.execute(
            "DO $$ BEGIN "
            f"IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN CREATE ROLE {role} NOLOGIN; END IF; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )
    member = con.execute("SELECT pg_has_role(session_user, ?, 'MEMBER')", [OWNER]).fetchone()[0]
    if not member:  # once a member, re-running init needs no right to grant roles
        # Another host initialising another database of the server may grant the same membership
        # at the same moment: this one then waits for it and finds the membership made.
        con.execute(
            "DO $$ BEGIN "
            f"EXECUTE format('GRANT %I TO %I', '{OWNER}', session_user); "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )
    database = _q(con.execute("SELECT current_database()").fetchone()[0])
    con.execute(f"GRANT CONNECT, CREATE, TEMPORARY ON DATABASE {database} TO {OWNER}")
    con.execute(f"GRANT CONNECT ON DATABASE {database} TO {ANALYST}, {STATISTICIAN}")
    # Nobody but the owner creates objects (PostgreSQL 15 already says so for `public`; older servers do not).
    con.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    for extension in EXTENSIONS:
        con.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {OWNER}")
        con.execute(f"ALTER SCHEMA {schema} OWNER TO {OWNER}")
    # Grants are given by the owner, so that they come from the role that owns the objects.
    con.execute(f"SET ROLE {OWNER}")
    for role, schemas in SCHEMA_READERS.items():
        for schema in schemas:
            con.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
            con.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}")
            con.execute(f"ALTER DEFAULT PRIVILEGES FOR ROLE {OWNER} IN SCHEMA {schema} "
                        f"GRANT SELECT ON TABLES TO {role}")
    grant_table_privileges(con)


def grant_table_privileges(con: Warehouse) -> None:
    """The single-table grants of TABLE_GRANTS, for the tables that exist (PostgreSQL only; run by
    the owner after creating them)."""
    if con.engine != "postgres":
        return
    for (privilege, role), tables in TABLE_GRANTS.items():
        for table in tables:
            schema, name = table.split(".")
            if con.table_exists(schema, name):  # the catalog's answer on PostgreSQL
                con.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
                con.execute(f"GRANT {privilege} ON {table} TO {role}")


def dbt_table_grants() -> str:
    """TABLE_GRANTS as dbt's post-hook reads them (JSON: [{privilege, role, table}])."""
    import json

    return json.dumps([{"privilege": privilege, "role": role, "table": table}
                       for (privilege, role), tables in TABLE_GRANTS.items() for table in tables])


def held_data(con: Warehouse) -> dict[str, int]:
    """What the database already holds of the pipeline's: landed files and published versions
    (only the non-zero counts)."""
    held = {}
    for label, schema, table in (("files", "raw", "file_register"), ("versions", "published", "publication_log")):
        if con.table_exists(schema, table):
            held[label] = con.execute(f"SELECT count(*) FROM {schema}.{table}").fetchone()[0]
    return {label: n for label, n in held.items() if n}


def empty_pipeline_schemas(con: Warehouse) -> int:
    """Drop every table and view of PIPELINE_SCHEMAS in one transaction; the schemas, their grants
    and default privileges, and the roles stay. Returns how many relations were dropped."""
    with con.transaction():
        relations = con.execute(
            "SELECT n.nspname, c.relname, c.relkind FROM pg_class AS c "
            "JOIN pg_namespace AS n ON n.oid = c.relnamespace "
            "WHERE n.nspname = ANY(?) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')", [list(PIPELINE_SCHEMAS)],
        ).fetchall()
        kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "f": "FOREIGN TABLE"}
        for schema, name, kind in relations:
            # CASCADE: views over a table go with it (hence IF EXISTS for the ones listed after it).
            con.execute(f"DROP {kinds[kind]} IF EXISTS {_q(schema)}.{_q(name)} CASCADE")
    return len(relations)
