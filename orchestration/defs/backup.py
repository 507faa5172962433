"""Warehouse backups: a consistent pg_dump, a restore check into a scratch database, pruning.

The dump and the row counts it is checked against come from one exported snapshot, so the check
is exact even while extractions keep landing rows. A backup is only reported good after it was
restored into a throw-away database and every table there has the expected number of rows.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from psycopg2 import sql

from warehouse.connection import connect, drop_database, ensure_database
from warehouse.settings import DatabaseUrl, hotrod_home, marts_schema

log = logging.getLogger(__name__)

# Raw landing and marts are what the backup is for. Every other schema of the warehouse database
# (staging, intermediate, security helpers...) is included so that the mart views and row level
# security policies that reference them restore; they are small (views and derived tables).
RAW_SCHEMAS = ("raw_shopify", "raw_chatwoot", "raw_app", "raw_ga4")
PREFIX = "hotrod-"


class BackupError(RuntimeError):
    """The dump could not be made, restored, or does not hold what was dumped."""


@dataclass(frozen=True)
class Backup:
    path: Path
    row_counts: dict[str, int]
    created_at: datetime

    @property
    def manifest_path(self) -> Path:
        return self.path.with_suffix(".json")

    @property
    def total_rows(self) -> int:
        return sum(self.row_counts.values())

    def save_manifest(self) -> None:
        self.manifest_path.write_text(
            json.dumps(
                {"created_at": self.created_at.isoformat(), "row_counts": self.row_counts},
                indent=1,
                sort_keys=True,
            )
        )

    @classmethod
    def load(cls, path: Path) -> Backup:
        data = json.loads(path.with_suffix(".json").read_text())
        return cls(path, data["row_counts"], datetime.fromisoformat(data["created_at"]))


def backups_dir() -> Path:
    return hotrod_home() / "backups"


def pg_bin(name: str) -> str:
    """pg_dump / pg_restore of the embedded distribution (v18: dumps servers back to 9.2)."""
    override = os.environ.get("HOTROD_PG_BIN_DIR")
    if override:
        return str(Path(override) / name)
    from warehouse import embedded

    return str(embedded.bin_dir() / name)


def _env(url: DatabaseUrl) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(url.libpq_env())
    return env


def _user_schemas(cur) -> list[str]:
    cur.execute(
        """
        select nspname from pg_namespace
        where nspname not in ('information_schema', 'public')
          and nspname not like 'pg\\_%'
        """
    )
    return sorted(row[0] for row in cur.fetchall())


def count_rows(cur, schemas: Iterable[str]) -> dict[str, int]:
    """Exact row counts of every table and materialized view in the schemas."""
    cur.execute(
        """
        select n.nspname, c.relname
        from pg_class as c
        join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = any(%s) and c.relkind in ('r', 'm')
        order by 1, 2
        """,
        (list(schemas),),
    )
    counts = {}
    for schema, table in cur.fetchall():
        cur.execute(
            sql.SQL("select count(*) from {}.{}").format(
                sql.Identifier(schema), sql.Identifier(table)
            )
        )
        counts[f"{schema}.{table}"] = cur.fetchone()[0]
    return counts


def dump(
    url: DatabaseUrl, dest: Path | None = None, schemas: Iterable[str] | None = None
) -> Backup:
    """pg_dump (custom format) of the schemas, with row counts taken from the same snapshot."""
    schemas = (*RAW_SCHEMAS, marts_schema()) if schemas is None else tuple(schemas)
    dest = dest or backups_dir()
    dest.mkdir(parents=True, exist_ok=True)
    created = datetime.now(UTC)
    path = dest / f"{PREFIX}{url.database}-{created:%Y%m%dT%H%M%S%fZ}.dump"
    partial = path.with_suffix(".partial")
    conn = connect(url)
    try:
        conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with conn.cursor() as cur:
            cur.execute("select pg_export_snapshot()")
            snapshot = cur.fetchone()[0]
            present = _user_schemas(cur)
            missing = sorted(set(schemas) - set(present))
            if missing:
                raise BackupError(f"schemas {missing} do not exist in {url.database}: bootstrap it")
            counts = count_rows(cur, present)
            cmd = [pg_bin("pg_dump"), "--format=custom", f"--snapshot={snapshot}"]
            cmd += [f"--schema={name}" for name in present]
            cmd += [f"--file={partial}", url.database]
            out = subprocess.run(cmd, env=_env(url), capture_output=True, text=True, check=False)
            if out.returncode != 0:
                partial.unlink(missing_ok=True)
                raise BackupError(f"pg_dump failed: {out.stderr.strip()[-800:]}")
    finally:
        conn.rollback()
        conn.close()
    partial.rename(path)
    backup = Backup(path, counts, created)
    backup.save_manifest()
    return backup


# pg_restore 18 starts every session with `SET transaction_timeout = 0`, a setting PostgreSQL
# 17 introduced: an older external server refuses it, so the script goes through psql without it.
NEWER_SETTINGS = (b"SET transaction_timeout = 0;\n",)


def _server_version(url: DatabaseUrl) -> int:
    conn = connect(url, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute("show server_version_num")
            return int(cur.fetchone()[0])
    finally:
        conn.close()


def _restore(scratch: DatabaseUrl, path: Path) -> str | None:
    """Restores ``path`` into ``scratch``; None, or what pg_restore/psql said when it failed."""
    options = ["--no-owner", "--no-privileges"]
    if _server_version(scratch) >= 170000:
        cmd = [pg_bin("pg_restore"), "--exit-on-error", *options]
        cmd += [f"--dbname={scratch.database}", str(path)]
        out = subprocess.run(cmd, env=_env(scratch), capture_output=True, text=True, check=False)
        return None if out.returncode == 0 else out.stderr.strip()
    env = _env(scratch)
    with tempfile.TemporaryFile() as said:  # both programs' stderr (a pipe could fill and block)
        script = subprocess.Popen(
            [pg_bin("pg_restore"), *options, "--file=-", str(path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=said,
        )
        psql = subprocess.Popen(
            [pg_bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", f"--dbname={scratch.database}"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=said,
        )
        assert script.stdout is not None and psql.stdin is not None
        try:
            for line in script.stdout:
                if line not in NEWER_SETTINGS:
                    psql.stdin.write(line)
            psql.stdin.close()
        except BrokenPipeError:
            pass  # psql stopped at an error: what it said is in `said`
        script.stdout.close()
        made, applied = script.wait(), psql.wait()
        said.seek(0)
        errors = said.read().decode(errors="replace").strip()
    if made == 0 and applied == 0:
        return None
    return errors or f"pg_restore exited {made}, psql {applied}"


def verify(url: DatabaseUrl, backup: Backup) -> dict[str, int]:
    """Restore into a scratch database on the same server; compare every table's row count.

    Raises BackupError when pg_restore fails or any count differs. The scratch database is
    dropped afterwards either way.
    """
    scratch = url.with_database(f"{url.database[:30]}_restore_{uuid.uuid4().hex[:8]}")
    ensure_database(scratch)
    try:
        failure = _restore(scratch, backup.path)
        if failure is not None:
            raise BackupError(
                f"restore of {backup.path.name} failed (the dump is damaged or incomplete): "
                f"{failure[-800:]}"
            )
        conn = connect(scratch, autocommit=True)
        try:
            with conn.cursor() as cur:
                restored = count_rows(cur, {name.split(".")[0] for name in backup.row_counts})
        finally:
            conn.close()
    finally:
        drop_database(scratch)
    wrong = {
        name: (expected, restored.get(name))
        for name, expected in backup.row_counts.items()
        if restored.get(name) != expected
    }
    if wrong:
        shown = list(wrong.items())[:5]
        sample = ", ".join(f"{n}: expected {e}, restored {r}" for n, (e, r) in shown)
        raise BackupError(f"restored row counts differ in {len(wrong)} tables: {sample}")
    return restored


def prune(dest: Path | None = None, keep_days: int = 7, now: float | None = None) -> list[Path]:
    """Delete backups older than keep_days (never the newest one). Returns what was removed."""
    dest = dest or backups_dir()
    dumps = sorted(dest.glob(f"{PREFIX}*.dump"), key=lambda p: p.stat().st_mtime)
    cutoff = (now or time.time()) - keep_days * 86400
    removed = []
    for path in dumps[:-1]:
        if path.stat().st_mtime < cutoff:
            path.unlink()
            path.with_suffix(".json").unlink(missing_ok=True)
            removed.append(path)
    return removed
