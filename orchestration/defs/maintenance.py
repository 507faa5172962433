"""Maintenance jobs: the daily verified backup and the retention run (SPEC §5, §6)."""

from pathlib import Path

import dagster as dg
from psycopg2 import sql

from orchestration.defs import backup as backups
from orchestration.defs.privacy import PRIVACY_TOPICS
from orchestration.defs.resources import WarehouseResource
from warehouse.settings import DatabaseUrl, marts_schema

SYNC_LOG_RETENTION_DAYS = 90  # SPEC §5: sync event logs 90 days


class BackupResource(dg.ConfigurableResource):
    """Where backups go and how long they are kept (HOTROD_BACKUP_DIR, HOTROD_BACKUP_KEEP_DAYS)."""

    directory: str = ""  # empty: HOTROD_HOME/backups
    keep_days: int = 7

    def folder(self) -> Path:
        return Path(self.directory) if self.directory else backups.backups_dir()

    def dump(self, url: DatabaseUrl) -> backups.Backup:
        return backups.dump(url, self.folder())

    def verify(self, url: DatabaseUrl, backup: backups.Backup) -> dict[str, int]:
        return backups.verify(url, backup)

    def prune(self) -> list[Path]:
        return backups.prune(self.folder(), self.keep_days)


@dg.op(out=dg.Out(str))
def dump_warehouse(
    context: dg.OpExecutionContext, warehouse: WarehouseResource, backup: BackupResource
) -> str:
    """pg_dump of the raw, staging, intermediate and mart schemas, counts from the same snapshot."""
    made = backup.dump(warehouse.url())
    context.log.info(f"dumped {made.total_rows} rows in {len(made.row_counts)} tables")
    context.add_output_metadata(
        {
            "path": str(made.path),
            "bytes": made.path.stat().st_size,
            "tables": len(made.row_counts),
            "rows": made.total_rows,
        }
    )
    return str(made.path)


@dg.op(out=dg.Out(str))
def verify_restore(
    context: dg.OpExecutionContext,
    path: str,
    warehouse: WarehouseResource,
    backup: BackupResource,
) -> str:
    """Restore the dump into a scratch database and compare row counts; fails on any mismatch."""
    made = backups.Backup.load(Path(path))
    try:
        restored = backup.verify(warehouse.url(), made)
    except backups.BackupError as exc:
        raise dg.Failure(description=str(exc), metadata={"path": path}) from None
    rows = sum(restored.values())
    context.log.info(f"restore check passed: {rows} rows in {len(restored)} tables")
    context.add_output_metadata({"tables_checked": len(restored), "rows": sum(restored.values())})
    return path


@dg.op
def prune_backups(context: dg.OpExecutionContext, path: str, backup: BackupResource) -> None:
    """Keep backups for keep_days; runs only after the new one has been verified."""
    removed = backup.prune()
    context.log.info(f"kept {path}; removed {len(removed)} older than {backup.keep_days} days")


@dg.graph
def backup_graph() -> None:
    prune_backups(verify_restore(dump_warehouse()))


backup_job = backup_graph.to_job(
    name="warehouse_backup",
    description="Daily: dump raw + marts, restore into a scratch database, check counts, prune.",
    tags={"hotrod/kind": "maintenance"},
)


@dg.op
def archive_audit_logs(context: dg.OpExecutionContext, warehouse: WarehouseResource) -> None:
    """The 180-day archive (`<marts>.archive_old_audit_logs()`) and 90-day sync-log retention."""
    function = f"{marts_schema()}.archive_old_audit_logs"
    archive = sql.SQL("select {}.archive_old_audit_logs()").format(sql.Identifier(marts_schema()))
    with warehouse.connect(autocommit=False) as conn, conn.cursor() as cur:
        cur.execute("select to_regproc(%s) is not null", (function,))
        has_archive = cur.fetchone()[0]
        archived = None
        if has_archive:
            cur.execute(archive)
            archived = cur.fetchone()[0]
            context.log.info(f"archive_old_audit_logs() removed {archived} rows")
        else:
            context.log.warning(
                f"{marts_schema()}.archive_old_audit_logs() is not installed yet: "
                "run `hotrod dbt build` first"
            )
        interval = f"{SYNC_LOG_RETENTION_DAYS} days"
        cur.execute(
            "delete from raw_app.load_ledger where started_at < now() - %s::interval", (interval,)
        )
        ledger = cur.rowcount
        cur.execute(
            "delete from raw_app.webhook_events where received_at < now() - %s::interval"
            # a privacy request not acted on yet is never thrown away
            " and not (processed_at is null and topic = any(%s))",
            (interval, list(PRIVACY_TOPICS)),
        )
        events = cur.rowcount
    context.add_output_metadata(
        {
            "audit_rows_archived": int(archived) if archived is not None else -1,
            "archive_function_installed": bool(has_archive),
            "load_ledger_rows_removed": ledger,
            "webhook_events_removed": events,
        }
    )


@dg.op
def ingest_access_log(context: dg.OpExecutionContext, warehouse: WarehouseResource) -> None:
    """Reads of the contract by operator roles from the server's CSV log (docs/security.md),
    then the 180-day retention of that record."""
    from warehouse.access import ingest

    with warehouse.connect(autocommit=False) as conn:
        try:
            counts = ingest.ingest(conn)
        except ingest.AccessLogError as exc:
            conn.rollback()
            context.log.warning(f"access audit not ingested: {exc}")
            counts = {"files": 0, "bytes": 0, "reads": -1}
        pruned = ingest.prune(conn)
    context.log.info(f"access audit: {counts['reads']} reads from {counts['files']} log files")
    context.add_output_metadata(
        {
            "log_files": counts["files"],
            "bytes_read": counts["bytes"],
            "reads_landed": counts["reads"],
            "access_rows_pruned": pruned,
        }
    )


@dg.job(
    name="retention",
    description="Daily (02:00 UTC): 180-day decision archive, 90-day sync-log retention, the "
    "access audit ingested from the server log and kept 180 days (SPEC §5).",
    tags={"hotrod/kind": "maintenance"},
)
def retention_job() -> None:
    archive_audit_logs()
    ingest_access_log()
