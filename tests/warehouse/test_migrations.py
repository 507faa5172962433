"""Warehouse migrations: applied once, from empty and over a warehouse the previous release built.

Release 0.1 re-ran four SQL files at every start (now the baseline revision 0001, unchanged);
its warehouses have no alembic_version table. Upgrading one must keep every row, and adding a
migration must be a file and a command away.
"""

from __future__ import annotations

import shutil

import pytest

from warehouse import migrate
from warehouse.bootstrap import bootstrap
from warehouse.connection import connect, drop_database, ensure_database
from warehouse.settings import DatabaseUrl

BASELINE = migrate.MIGRATIONS / "sql" / "0001_baseline"
RAW = {
    "raw_shopify": ("shops", "locations", "products", "inventory_levels", "orders", "customers"),
    "raw_chatwoot": ("conversations", "messages", "agents", "inboxes", "contacts"),
    "raw_app": ("shops", "decision_log", "ceo_time_entries"),
}


def _release_0_1(url: DatabaseUrl) -> None:
    """A warehouse as 0.1 left it: its bootstrap SQL (which also put get_privacy_audit_log in
    marts), then the archive table its dbt hook created."""
    ensure_database(url)
    conn = connect(url)
    with migrate.cluster_lock(url), conn, conn.cursor() as cur:
        for path in sorted(BASELINE.glob("*.sql")):
            cur.execute(path.read_text(encoding="utf-8"))
        cur.execute(
            "create table if not exists raw_app.decision_log_archive ("
            " like raw_app.decision_log including all,"
            " archived_at timestamptz not null default now())"
        )
    conn.close()


def _land_rows(url: DatabaseUrl) -> None:
    conn = connect(url)
    with conn, conn.cursor() as cur:
        for schema, tables in RAW.items():
            for table in tables:
                cur.execute(
                    f"insert into {schema}.{table} (shop_domain, id, updated_at, payload, batch_id)"  # noqa: S608
                    " select 'a.myshopify.com', 'id-' || n, now(), jsonb_build_object('n', n), 'b1'"
                    " from generate_series(1, 25) as n"
                )
        cur.execute(
            "insert into raw_app.decision_log_archive"
            " (shop_domain, id, updated_at, payload, batch_id)"
            " values ('a.myshopify.com', 'old-1', now(), '{}', 'b0')"
        )
        cur.execute(
            "insert into raw_app.load_ledger (batch_id, source, shop_domain, entity, mode,"
            " started_at) values ('b1', 'shopify', 'a.myshopify.com', 'orders', 'bulk', now())"
        )
    conn.close()


def _counts(url: DatabaseUrl) -> dict[str, int]:
    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
            " where table_schema like 'raw\\_%' and table_type = 'BASE TABLE' order by 1"
        )
        names = [row[0] for row in cur.fetchall()]
        counts = {}
        for name in names:
            cur.execute(f"select count(*) from {name}")  # noqa: S608
            counts[name] = cur.fetchone()[0]
        return counts


def _scalar(url: DatabaseUrl, statement: str):
    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(statement)
        return cur.fetchone()[0]


@pytest.fixture
def scratch(server_url: DatabaseUrl, request):
    url = server_url.with_database(f"hotrod_mig_{request.node.name[-20:].lower()}")
    drop_database(url)
    yield url
    drop_database(url)


def test_from_empty_every_revision_once(scratch):
    bootstrap(scratch)
    assert migrate.current(scratch) == migrate.head()
    # 0003 (issue 13): Shopify change notices and deleted records
    for table, column in (
        ("webhook_events", "event_id"),
        ("webhook_events", "record_gid"),
        ("orders", "deleted_at"),
        ("products", "deleted_at"),
        ("customers", "deleted_at"),
    ):
        found = (
            "select count(*) from information_schema.columns "
            f"where table_name = '{table}' and column_name = '{column}'"
        )
        assert _scalar(scratch, found) == 1, (table, column)
    enums = (
        "select count(*) from pg_type where typnamespace = 'vocab'::regnamespace and typtype = 'e'"
    )
    assert _scalar(scratch, enums) == 6
    assert _scalar(scratch, "select to_regclass('raw_app.decision_log_archive') is not null")
    assert _scalar(scratch, "select to_regclass('raw_app.access_checks') is not null")
    assert _scalar(
        scratch, "select to_regprocedure('security.secure_schema(text, text[])') is not null"
    )
    assert not _scalar(scratch, "select to_regprocedure('security.secure_relation(regclass)')")
    # 0006: tenant mapping, gateway role, access audit
    assert _scalar(scratch, "select to_regclass('security.tenant_shops') is not null")
    assert _scalar(scratch, "select to_regclass('raw_app.v_access_audit_7d') is not null")
    assert _scalar(scratch, "select pg_has_role('authenticator', 'operator', 'MEMBER')")
    # 0005: GA4's raw tables in the landing shape, landed by service_role only; ledger notes
    for table in ("raw_ga4.traffic_daily", "raw_ga4.traffic_hourly"):
        assert _scalar(scratch, f"select has_table_privilege('service_role', '{table}', 'insert')")
        assert not _scalar(scratch, f"select has_table_privilege('operator', '{table}', 'select')")
        assert _scalar(
            scratch,
            "select count(*) from pg_constraint where contype = 'p'"
            f" and conrelid = '{table}'::regclass",
        )
    assert _scalar(
        scratch,
        "select count(*) from information_schema.columns where table_schema = 'raw_app'"
        " and table_name = 'load_ledger' and column_name = 'notes'",
    )
    # 0007 (issue 20): the staging casts' input check for servers before PostgreSQL 16
    assert _scalar(scratch, "select raw_app.input_is_valid('12.50', 'numeric(14, 2)')")
    assert not _scalar(scratch, "select raw_app.input_is_valid('many', 'integer')")
    # 0008 (issue 18): the ledger of delivered alerts
    assert _scalar(scratch, "select to_regclass('raw_app.alert_deliveries') is not null")
    # 0012 (issue 17): the deleted raw orders by a partial index
    assert _scalar(scratch, "select to_regclass('raw_shopify.orders_deleted_idx') is not null")
    # 0013 (issue 17): the watermarks of the models incremental by key, landing-time indexes
    assert _scalar(scratch, "select to_regclass('raw_app.dbt_watermarks') is not null")
    assert _scalar(
        scratch, "select to_regclass('raw_chatwoot.messages_extracted_at_idx') is not null"
    )
    # 0014 (issue 17): the raw orders by landing time
    assert _scalar(scratch, "select to_regclass('raw_shopify.orders_extracted_at_idx') is not null")
    # 0015 (issue 17): the raw customers by the keys a contact matches, the deleted ones
    for index in ("email_key", "phone_key", "numeric_id", "deleted"):
        contact_index = {"numeric_id": "customer_id", "deleted": "email_key"}.get(index, index)
        assert _scalar(
            scratch, f"select to_regclass('raw_chatwoot.contacts_{contact_index}_idx') is not null"
        )
        assert _scalar(
            scratch, f"select to_regclass('raw_shopify.customers_{index}_idx') is not null"
        )
    # 0017 (issue 17): the dbt release the views and seeds were last built from
    assert _scalar(scratch, "select to_regclass('raw_app.dbt_release') is not null")
    # 0016 (issue 17): the freshness figures of every raw table from a covering index
    assert not _scalar(
        scratch,
        "select count(*) from pg_indexes where schemaname like 'raw\\_%'"
        " and indexdef like '% USING btree (shop_domain, updated_at)'",
    )
    assert (
        _scalar(
            scratch,
            "select count(*) from pg_indexes where schemaname like 'raw\\_%'"
            " and indexdef like '% USING btree (shop_domain, updated_at) INCLUDE (extracted_at)'",
        )
        >= 16
    )
    for table in ("raw_shopify.orders", "raw_chatwoot.messages", "raw_ga4.traffic_daily"):
        assert _scalar(
            scratch,
            "select count(*) from pg_indexes where schemaname || '.' || tablename"
            f" = '{table}' and indexdef like '% INCLUDE (extracted_at)'",
        )
    # applied once: a second bootstrap changes nothing (not even the version row)
    bootstrap(scratch)
    assert _scalar(scratch, "select count(*) from alembic_version") == 1


def test_upgrading_a_warehouse_built_by_the_previous_release_loses_no_row(scratch):
    _release_0_1(scratch)
    _land_rows(scratch)
    before = _counts(scratch)
    assert migrate.current(scratch) is None
    assert sum(before.values()) >= 14 * 25 + 2

    bootstrap(scratch)

    assert migrate.current(scratch) == migrate.head()
    after = _counts(scratch)
    assert {name: after[name] for name in before} == before
    assert not any(after[name] for name in after.keys() - before.keys())  # new tables: empty
    assert _scalar(scratch, "select count(*) from raw_app.decision_log_archive") == 1
    # what 0002 owns now exists; what moved to dbt is gone from the baseline's place
    assert _scalar(scratch, "select 'critical'::vocab.severity < 'low'::vocab.severity")
    assert _scalar(scratch, "select to_regproc('marts.get_privacy_audit_log')") is None
    # the redaction triggers of the baseline still guard the raw tables
    assert (
        _scalar(
            scratch,
            "select count(*) from pg_trigger where tgname like 'redaction_sweep_%'"
            " and tgrelid = 'raw_shopify.orders'::regclass",
        )
        == 2
    )


def test_a_new_migration_is_one_command_and_one_sql_file(scratch, tmp_path):
    """A new column: scaffold, write SQL, upgrade."""
    location = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS, location, ignore=shutil.ignore_patterns("__pycache__"))
    head = migrate.head()
    taken = [int(p.name[:4]) for p in (location / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")]
    number = f"{max(taken) + 1:04d}"  # after the highest number taken, on top of the head
    module, sql_file = migrate.new_revision("add deleted_at to raw orders", location=location)
    assert module.name == f"{number}_add_deleted_at_to_raw_orders.py"
    assert sql_file == location / "sql" / f"{number}_add_deleted_at_to_raw_orders.sql"
    text = module.read_text(encoding="utf-8")
    assert f'down_revision = "{head}"' in text or f"down_revision = '{head}'" in text
    assert "run_sql(__file__)" in text
    sql_file.write_text(
        sql_file.read_text(encoding="utf-8")
        + "alter table raw_shopify.orders add column note text;\n",
        encoding="utf-8",
    )

    bootstrap(scratch)  # the repository's migrations
    _land_rows(scratch)
    before = _counts(scratch)
    migrate.upgrade(scratch, location=location)
    assert migrate.current(scratch) == number
    assert _counts(scratch) == before
    assert (
        _scalar(
            scratch,
            "select count(*) from information_schema.columns where table_schema = 'raw_shopify'"
            " and table_name = 'orders' and column_name = 'note'",
        )
        == 1
    )
