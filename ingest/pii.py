"""Personal data (ARCHITECTURE.md "Personal data"): the installation's secret and `person_key`.

From staging on a person is `person_key = HMAC-SHA256(secret, normalised ID number)`, hex. It is
computed here, at landing, into `raw.<feed>.person_key`: the secret stays in this process and
never reaches dbt's compiled SQL, its `target/` or its logs.

The secret is `SVCMON_PII_SECRET` when set; otherwise one generated once per installation into
`$SVCMON_HOME/pii_secret` (mode 0600) and read from then on. Losing it changes every person_key
of files landed afterwards (docs/deploy.md).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets as random_secrets
from pathlib import Path

from ingest import settings

SECRET_ENV = "SVCMON_PII_SECRET"
SECRET_FILE_NAME = "pii_secret"


def secret_path() -> Path:
    return settings.home() / SECRET_FILE_NAME


def secret() -> bytes:
    """`SVCMON_PII_SECRET`, else the installation's own (created on first use, mode 0600)."""
    given = os.environ.get(SECRET_ENV)
    if given:
        return given.encode("utf-8")
    path = secret_path()
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return _read(path)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(random_secrets.token_hex(32) + "\n")
    return _read(path)


def _read(path: Path) -> bytes:
    value = path.read_text(encoding="utf-8").strip()
    if not value:
        raise RuntimeError(f"{path} is empty: restore the installation's PII secret (docs/deploy.md)")
    return value.encode("utf-8")


def normalised_id_number(value: str) -> str:
    """The form the key is computed on: no white space, full-width Ｘ/ｘ as X, upper case."""
    return "".join(value.split()).replace("ｘ", "X").replace("Ｘ", "X").upper()


def person_key(id_number: str | None, key: bytes | None = None) -> str | None:
    if id_number is None or not str(id_number).strip():
        return None
    return hmac.new(key if key is not None else secret(), normalised_id_number(str(id_number)).encode("utf-8"),
                    hashlib.sha256).hexdigest()
