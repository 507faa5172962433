"""The daily backup job: dump, restore into a scratch database, count rows — and fail when the
dump is damaged."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from orchestration.defs import backup as backups
from orchestration.defs.maintenance import BackupResource, backup_graph
from orchestration.defs.resources import WarehouseResource
from warehouse.connection import connect

ORDERS = 25


def _seed(url) -> None:
    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute("delete from raw_shopify.orders")
        cur.execute(
            """
            insert into raw_shopify.orders (shop_domain, id, updated_at, payload, batch_id)
            select 'hot-rod-an.sandbox.test', 'gid://shopify/Order/' || n, now(),
                   jsonb_build_object('id', n), 'test'
            from generate_series(1, %s) as n
            """,
            (ORDERS,),
        )


def _run(url, resource: BackupResource, monkeypatch):
    monkeypatch.setenv("HOTROD_DATABASE_URL", url.url)
    job = backup_graph.to_job(
        name="warehouse_backup_test",
        resource_defs={"warehouse": WarehouseResource(), "backup": resource},
    )
    return job.execute_in_process(raise_on_error=False)


def _failure_text(result) -> str:
    return " ".join(
        e.event_specific_data.error.message for e in result.all_events if e.is_step_failure
    )


def test_backup_dumps_restores_and_checks_counts(module_db, tmp_path, monkeypatch):
    _seed(module_db)
    result = _run(module_db, BackupResource(directory=str(tmp_path)), monkeypatch)
    assert result.success, _failure_text(result)
    dumps = list(tmp_path.glob("hotrod-*.dump"))
    assert len(dumps) == 1
    counts = json.loads(dumps[0].with_suffix(".json").read_text())["row_counts"]
    assert counts["raw_shopify.orders"] == ORDERS
    verified = result.output_for_node("verify_restore")
    assert verified == str(dumps[0])
    # the scratch database is gone
    conn = connect(module_db, autocommit=True)
    with conn, conn.cursor() as cur:
        # this database's scratch copies only (other tests' may exist under pytest-xdist)
        scratch = module_db.database[:30].replace("_", r"\_") + r"\_restore\_%"
        cur.execute("select count(*) from pg_database where datname like %s", (scratch,))
        leftovers = cur.fetchone()[0]
    assert leftovers == 0


class TruncatingBackup(BackupResource):
    """Writes a real dump, then damages it the way a full disk or a killed copy would."""

    def dump(self, url):
        made = super().dump(url)
        data = made.path.read_bytes()
        made.path.write_bytes(data[: len(data) // 2])
        return made


class LosingRowsBackup(BackupResource):
    """A dump that restores cleanly but lacks rows the snapshot held."""

    def dump(self, url):
        made = super().dump(url)
        counts = dict(made.row_counts)
        counts["raw_shopify.orders"] += 1
        damaged = backups.Backup(made.path, counts, made.created_at)
        damaged.save_manifest()
        return damaged


@pytest.mark.parametrize(
    ("resource_cls", "reason"),
    [(TruncatingBackup, "restore of"), (LosingRowsBackup, "row counts differ")],
)
def test_damaged_dump_fails_the_run(module_db, tmp_path, monkeypatch, resource_cls, reason):
    _seed(module_db)
    result = _run(module_db, resource_cls(directory=str(tmp_path)), monkeypatch)
    assert not result.success
    assert reason in _failure_text(result)
    failed = [e.step_key for e in result.all_events if e.is_step_failure]
    assert failed == ["verify_restore"]
    # nothing was pruned on a failed run
    skipped = [e.step_key for e in result.all_events if e.event_type_value == "STEP_SKIPPED"]
    assert "prune_backups" in skipped or "prune_backups" not in {
        e.step_key for e in result.all_events if e.is_step_success
    }


def test_prune_keeps_recent_and_always_the_newest(tmp_path: Path):
    now = time.time()
    ages = {"a": 10, "b": 8, "c": 1}
    for name, days in ages.items():
        path = tmp_path / f"hotrod-{name}.dump"
        path.write_bytes(b"x")
        path.with_suffix(".json").write_text("{}")
        os.utime(path, (now - days * 86400, now - days * 86400))
    removed = backups.prune(tmp_path, keep_days=7, now=now)
    assert sorted(p.name for p in removed) == ["hotrod-a.dump", "hotrod-b.dump"]
    assert [p.name for p in tmp_path.glob("*.dump")] == ["hotrod-c.dump"]
    assert not (tmp_path / "hotrod-a.json").exists()
    # the newest backup survives even when it is old
    os.utime(tmp_path / "hotrod-c.dump", (now - 30 * 86400, now - 30 * 86400))
    assert backups.prune(tmp_path, keep_days=7, now=now) == []
