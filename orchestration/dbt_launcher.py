"""dbt, started in the folder `SVCMON_DBT_FOLDER` names: the DuckDB warehouse's own folder.

dagster-dbt starts dbt in the project folder. A home's DuckDB file reaches dbt's profile by its
name alone (`orchestration.dbt.dbt_environment`), read from the folder dbt runs in, so every home
renders the same profile. dbt parses the whole project again whenever the profile differs from the
one of the parse it starts from (~5 s); with one profile for all homes, a new home's first dbt
command starts from the package's prepared parse instead. Run as `python -m orchestration.dbt_launcher
<dbt arguments>`; it imports nothing of svcmon but this module.
"""

from __future__ import annotations

import os
import sys

FOLDER_ENV = "SVCMON_DBT_FOLDER"


def main() -> None:
    folder = os.environ.get(FOLDER_ENV)
    if folder:
        os.makedirs(folder, exist_ok=True)  # DuckDB creates the file, not its folder
        os.chdir(folder)
    from dbt.cli.main import cli

    sys.argv[0] = "dbt"  # what dbt's own script is called: its messages name the command as usual
    sys.exit(cli())


if __name__ == "__main__":
    main()
