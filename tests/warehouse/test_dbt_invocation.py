"""The environment every dbt process runs with (warehouse.dbt_invocation)."""

from __future__ import annotations

from warehouse.dbt_invocation import FILE_LOG_LEVEL, dbt_env
from warehouse.settings import DatabaseUrl

URL = DatabaseUrl.parse("postgresql://someone@db.example:5433/hotrod")


def test_the_file_log_is_at_info_unless_the_caller_asks_for_another_level():
    env = dbt_env(URL, base={"PATH": "/usr/bin", "PGPASSWORD": "stale"})
    assert FILE_LOG_LEVEL == "info" and env["DBT_LOG_LEVEL_FILE"] == "info"
    assert "PGPASSWORD" not in env and env["PGHOST"] == "db.example" and env["PGPORT"] == "5433"
    debug = dbt_env(URL, base={"PATH": "/usr/bin", "DBT_LOG_LEVEL_FILE": "debug"})
    assert debug["DBT_LOG_LEVEL_FILE"] == "debug"
