"""The contract views (SPEC.md section 4, plus tests/support/contract_views): names, presence,
documentation, tests, golden truth.

The list of contract views is dbt's: the models with `access: public` (models/contract).

One warehouse: a deterministic sandbox store is loaded into the raw tables, dbt seeds and runs
the whole project pinned to the store's clock (`as_of`), then the views are read. It is built
once per session (tests/support/warehouse_templates.py); this module reads and changes a copy.
Golden figures come from the sandbox (`store.truth()`) or are recomputed here from the landed
payloads with the definitions of docs/raw-landing.md — never from the marts themselves.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from sandbox.generator.clock import zone
from sandbox.store import SandboxStore
from tests.support.contract_views import CONTRACT_VIEW_COUNT, EXTENSION_VIEWS, SPEC_VIEW_COUNT
from tests.support.core_models import CORE_TABLES
from tests.support.warehouse_templates import every_model
from warehouse.connection import connect
from warehouse.dbt_invocation import run_dbt
from warehouse.settings import REPO_ROOT, DatabaseUrl

SPEC_CANDIDATES = (
    Path(os.environ["HOTROD_SPEC_PATH"]) if os.environ.get("HOTROD_SPEC_PATH") else None,
    REPO_ROOT / "SPEC.md",
    REPO_ROOT.parent / "shared" / "SPEC.md",  # optional drift check: the spec beside the checkout
)
AS_OF = datetime(2026, 11, 20, 18, tzinfo=UTC)
ORDERS = 2500
SEED = 11
SLA_FULFILLMENT_SECONDS = 48 * 3600
SLA_FIRST_RESPONSE_SECONDS = 120 * 60


def public_models(manifest: dict) -> dict[str, dict]:
    """The contract: dbt's public models, by name."""
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node.get("access") == "public"
    }


def spec_section_4_views(spec: Path) -> list[str]:
    """Every v_* name in the table of SPEC.md section 4, in order."""
    text = spec.read_text(encoding="utf-8")
    section = text[text.index("## 4.") : text.index("## 5.")]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [name for row in rows for name in re.findall(r"\bv_[a-z0-9_]+", row)]


# -- the list -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def parsed(parsed_manifest: dict) -> dict:
    """The project's manifest of `dbt parse` (parsed once per session: tests/dbt/conftest.py)."""
    return parsed_manifest


@pytest.fixture(scope="module")
def contract(parsed: dict) -> dict[str, dict]:
    return public_models(parsed)


def test_the_contract_is_the_public_views_in_one_folder(contract):
    assert len(contract) == CONTRACT_VIEW_COUNT
    for name, node in contract.items():
        assert node["original_file_path"] == f"models/contract/{name}.sql", name
        assert node["config"]["materialized"] == "view", name
        assert node["config"]["contract"]["enforced"], name
        assert node.get("group") == "dashboard_contract", name
        assert all(c.get("data_type") for c in node["columns"].values()), name


def test_only_the_contract_folder_is_public(parsed):
    public = {
        node["original_file_path"]
        for node in parsed["nodes"].values()
        if node["resource_type"] == "model" and node.get("access") == "public"
    }
    assert all(path.startswith("models/contract/") for path in public)


def test_contract_matches_spec_section_4(contract):
    spec = next((p for p in SPEC_CANDIDATES if p is not None and p.exists()), None)
    if spec is None:
        pytest.skip("SPEC.md not found: set HOTROD_SPEC_PATH to the product specification")
    assert set(contract) == set(spec_section_4_views(spec)) | set(EXTENSION_VIEWS)
    assert len(spec_section_4_views(spec)) == SPEC_VIEW_COUNT


def test_every_contract_view_says_as_of_build_or_as_of_query(contract):
    """meta.as_of is build or query, the description says the same, and the SQL agrees: a view
    is as of query exactly when it measures against the clock itself."""
    for name, node in contract.items():
        as_of = node["config"]["meta"].get("as_of")
        assert as_of in ("build", "query"), name
        assert f"contract_as_of_{as_of}" in node["raw_code"] + node["description"] or (
            ("As of build." if as_of == "build" else "As of query.") in node["description"]
        ), name
        reads_clock = "hotrod_as_of" in node["raw_code"] or "hours_since" in node["raw_code"]
        assert reads_clock == (as_of == "query"), name


def test_contract_views_are_thin_selects_over_reports_or_marts(contract, parsed):
    for name, node in contract.items():
        parents = [parsed["nodes"][uid] for uid in node["depends_on"]["nodes"]]
        assert len(parents) == 1, f"{name} reads {[p['name'] for p in parents]}"
        layer = parents[0]["original_file_path"].split("/")[1]
        assert layer in ("reports", "marts"), f"{name} reads the {layer} layer"
        code = re.sub(r"\{#.*?#\}|--[^\n]*", "", node["raw_code"], flags=re.DOTALL).lower()
        assert " join " not in code and "group by" not in code and " with " not in f" {code}", name


def test_no_mart_or_report_reads_a_contract_view(parsed):
    contract_ids = {uid for uid, node in parsed["nodes"].items() if node.get("access") == "public"}
    for node in parsed["nodes"].values():
        path = node.get("original_file_path", "")
        if node["resource_type"] == "model" and path.startswith(("models/marts", "models/reports")):
            assert not contract_ids & set(node["depends_on"]["nodes"]), node["name"]


def test_no_table_is_built_on_a_view(parsed):
    nodes = parsed["nodes"]
    for node in nodes.values():
        if node["resource_type"] != "model" or node["config"]["materialized"] == "view":
            continue
        views = [
            nodes[uid]["name"]
            for uid in node["depends_on"]["nodes"]
            if uid in nodes
            and nodes[uid]["resource_type"] == "model"
            and nodes[uid]["config"]["materialized"] == "view"
            and not nodes[uid]["original_file_path"].startswith("models/staging/")
        ]
        assert not views, f"{node['name']} is built on views {views}"


# -- the built warehouse --------------------------------------------------------------------


@pytest.fixture(scope="module")
def store() -> Iterator[SandboxStore]:
    with SandboxStore.open(orders=ORDERS, seed=SEED, now=AS_OF) as opened:
        yield opened


def _dbt(url: DatabaseUrl, target: Path, args: list[str]) -> None:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DBT_TARGET_PATH", str(target))
        env.setenv("DBT_LOG_PATH", str(target / "logs"))
        result = run_dbt(url, args, check=False)
    assert result.returncode == 0, f"dbt {args[0]} failed; see {target}/logs/dbt.log"


@pytest.fixture(scope="module")
def dbt_target(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("dbt-target")


@pytest.fixture(scope="module")
def built(warehouse_templates, store: SandboxStore, dbt_target: Path) -> Iterator[DatabaseUrl]:
    """The sandbox loaded into raw, and every model built as of the store's clock: built once
    per session (test_views_issue18 and test_view_swap use the same), a copy for this module."""
    with warehouse_templates.copy(*every_model(store), "hotrod_mod", dbt_target) as url:
        yield url


@pytest.fixture(scope="module")
def manifest(built: DatabaseUrl, dbt_target: Path) -> dict:
    return json.loads((dbt_target / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def contract_views(manifest: dict) -> list[str]:
    return sorted(public_models(manifest))


def _query(url: DatabaseUrl, sql: str, params: tuple = ()) -> list[tuple]:
    conn = connect(url, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    finally:
        conn.close()


def _dicts(url: DatabaseUrl, sql: str, params: tuple = ()) -> list[dict]:
    conn = connect(url, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        conn.close()


def _by_shop(url: DatabaseUrl, view: str) -> dict[str, dict]:
    rows = _dicts(url, f"select * from marts.{view}")  # noqa: S608 - a contract view name
    return {row["shop_domain"]: row for row in rows}


def test_every_contract_view_exists_in_marts_and_answers_select_star(built, contract_views):
    relations = dict(
        _query(
            built,
            "select c.relname, c.relkind from pg_class c"
            " join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'marts'",
        )
    )
    missing = [name for name in contract_views if name not in relations]
    assert not missing
    assert {relations[name] for name in contract_views} == {"v"}
    conn = connect(built, autocommit=True)
    try:
        with conn.cursor() as cur:
            for name in contract_views:
                cur.execute(f"select * from marts.{name}")  # noqa: S608 - names from the list
                cur.fetchall()
                assert "shop_domain" in [d[0] for d in cur.description], name
    finally:
        conn.close()


def test_contract_views_are_security_invoker(built, contract_views):
    options = dict(
        _query(
            built,
            "select c.relname, coalesce(c.reloptions, '{}') from pg_class c"
            " join pg_namespace n on n.oid = c.relnamespace"
            " where n.nspname = 'marts' and c.relkind = 'v'",
        )
    )
    insecure = [n for n in contract_views if "security_invoker=true" not in options[n]]
    assert not insecure


def test_every_contract_view_is_documented_with_every_column(built, manifest, contract_views):
    nodes = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    columns: dict[str, list[str]] = {}
    for table, column in _query(
        built,
        "select table_name, column_name from information_schema.columns"
        " where table_schema = 'marts' order by ordinal_position",
    ):
        columns.setdefault(table, []).append(column)
    for name in contract_views:
        node = nodes[name]
        assert node["description"].strip(), f"{name} has no description"
        documented = {c for c, meta in node["columns"].items() if meta["description"].strip()}
        undocumented = [c for c in columns[name] if c not in documented]
        assert not undocumented, f"{name}: undocumented columns {undocumented}"


def test_every_contract_view_has_a_data_test(manifest, contract_views):
    tested: set[str] = set()
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test":
            tested.update(d.split(".")[-1] for d in node["depends_on"]["nodes"])
    untested = [name for name in contract_views if name not in tested]
    assert not untested


def test_tiles_and_exports_are_exposed(manifest):
    exposed = {
        dep.split(".")[-1]
        for exposure in manifest["exposures"].values()
        for dep in exposure["depends_on"]["nodes"]
    }
    assert {
        "v_sales_pulse_current",
        "v_inventory_alerts",
        "v_fulfillment_issues",
        "v_cx_escalations",
        "v_ops_aggregate_metrics",
        "v_export_daily_performance",
        "v_export_customer_segments",
        "v_export_product_performance",
    } <= exposed


def test_data_tests_of_the_views_pass(built, dbt_target):
    selection = ("path:models/contract", "path:models/reports", "path:models/marts/insights")
    _dbt(built, dbt_target, ["test", "--exclude", "test_type:unit", "--select", *selection])


def test_unit_tests_of_the_meanings_pass(built, dbt_target):
    """dbt unit tests of marts and reports: same-time-last-week, run rate, list ranks."""
    _dbt(
        built,
        dbt_target,
        ["test", "--select", "test_type:unit,path:models/marts test_type:unit,path:models/reports"],
    )


# -- golden truth ---------------------------------------------------------------------------


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def _open_fulfillment_breaches(store: SandboxStore, shop: str) -> int:
    """Counted orders never shipped and older than 48 h at the as-of time."""
    as_of = int(store.now.timestamp())
    breaches = 0
    for record in store.iter_records("shopify", "orders", shop):
        order = record.payload
        if order["test"] or order["cancelledAt"] is not None:
            continue
        shipped = [f for f in order["fulfillments"] if f["status"] == "SUCCESS"]
        breaches += not shipped and as_of - _epoch(order["createdAt"]) > SLA_FULFILLMENT_SECONDS
    return breaches


def _open_cx_breaches(store: SandboxStore, shop: str) -> int:
    """Open/pending/snoozed conversations that breached the 120-minute first-response SLA."""
    as_of = int(store.now.timestamp())
    first_reply: dict[int, int] = {}
    for record in store.iter_records("chatwoot", "messages", shop):
        m = record.payload
        if m["message_type"] == 1 and not m["private"] and m["sender_type"] == "User":
            conv = m["conversation_id"]
            first_reply[conv] = min(first_reply.get(conv, m["created_at"]), m["created_at"])
    breaches = 0
    for record in store.iter_records("chatwoot", "conversations", shop):
        conv = record.payload
        if conv["status"] not in ("open", "pending", "snoozed"):
            continue
        reply = first_reply.get(conv["id"])
        if reply is not None and reply >= conv["created_at"]:
            waited = reply - conv["created_at"]
        else:
            waited = as_of - conv["created_at"]
        breaches += waited > SLA_FIRST_RESPONSE_SECONDS
    return breaches


def _as_of_day(store: SandboxStore, shop: str) -> str:
    timezone = next(s["timezone"] for s in store.shops() if s["domain"] == shop)
    return store.now.astimezone(zone(timezone)).date().isoformat()


def _same_time_last_week(store: SandboxStore, shop: str) -> tuple[int, Decimal, int, Decimal]:
    """(orders, revenue) of the counted orders created on the local weekday a week before the
    as-of day, up to the same local time of day; then the same over that whole day."""
    tz = zone(next(s["timezone"] for s in store.shops() if s["domain"] == shop))
    local_now = store.now.astimezone(tz)
    day = local_now.date() - timedelta(days=7)
    cutoff = (local_now.replace(tzinfo=None) - timedelta(days=7)).replace(tzinfo=tz)
    so_far, so_far_revenue, whole, whole_revenue = 0, Decimal(0), 0, Decimal(0)
    for record in store.iter_records("shopify", "orders", shop):
        order = record.payload
        if order["test"] or order["cancelledAt"] is not None:
            continue
        created = datetime.fromisoformat(order["createdAt"].replace("Z", "+00:00"))
        if created.astimezone(tz).date() != day:
            continue
        amount = Decimal(order["totalPriceSet"]["shopMoney"]["amount"])
        whole, whole_revenue = whole + 1, whole_revenue + amount
        if created <= cutoff:
            so_far, so_far_revenue = so_far + 1, so_far_revenue + amount
    return so_far, so_far_revenue, whole, whole_revenue


def test_sales_pulse_matches_todays_golden_revenue_orders_and_top_skus(built, store):
    truth = store.truth()["shops"]
    rows = _by_shop(built, "v_sales_pulse_current")
    assert set(rows) == set(truth)
    checked_days_with_orders = 0
    for shop, figures in truth.items():
        row = rows[shop]
        today = _as_of_day(store, shop)
        assert row["current_date"].isoformat() == today
        assert row["measured_at"] == store.now
        day = figures["daily"].get(today, {"orders": 0, "gross_revenue": "0.00"})
        assert row["total_orders"] == day["orders"], shop
        assert row["total_revenue"] == Decimal(day["gross_revenue"]), shop
        checked_days_with_orders += day["orders"] > 0
        expected = sorted(
            figures["sku_30d"].items(),
            key=lambda item: (-Decimal(item[1]["revenue"]), -item[1]["units"], item[0]),
        )[:5]
        top = row["top_products"]
        assert [p["sku"] for p in top] == [sku for sku, _ in expected], shop
        assert [Decimal(str(p["revenue_30d"])) for p in top] == [
            Decimal(f["revenue"]) for _, f in expected
        ]
    assert checked_days_with_orders >= 1, "the sandbox day should have orders somewhere"


def test_sales_pulse_compares_today_so_far_with_the_same_time_last_week(built, store):
    """The comparison base is last week's day up to the same local time; the whole day is kept
    under its own name (at 18:00 UTC the two differ in the sandbox)."""
    rows = _by_shop(built, "v_sales_pulse_current")
    differs = 0
    for shop, row in rows.items():
        orders, revenue, whole_orders, whole_revenue = _same_time_last_week(store, shop)
        assert row["last_week_same_time_orders"] == orders, shop
        assert row["last_week_same_time_revenue"] == revenue, shop
        assert row["last_week_full_day_orders"] == whole_orders, shop
        assert row["last_week_full_day_revenue"] == whole_revenue, shop
        if revenue:
            expected = round(100 * (row["total_revenue"] - revenue) / revenue, 2)
            assert row["revenue_vs_last_week_pct"] == expected, shop
        differs += whole_orders > orders
    assert differs, "the sandbox should have orders later in last week's day than the cutoff"


def test_open_sla_breaches_match_the_sandbox(built, store):
    ops = _by_shop(built, "v_ops_aggregate_metrics")
    fulfillment = _by_shop(built, "v_fulfillment_health_summary")
    cx = _by_shop(built, "v_cx_health_summary")
    total_open = 0
    for shop in store.truth()["shops"]:
        expected_fulfillment = _open_fulfillment_breaches(store, shop)
        expected_cx = _open_cx_breaches(store, shop)
        assert fulfillment[shop]["open_sla_breaches"] == expected_fulfillment, shop
        assert ops[shop]["open_fulfillment_sla_breaches"] == expected_fulfillment, shop
        assert cx[shop]["open_sla_breaches"] == expected_cx, shop
        assert ops[shop]["open_cx_sla_breaches"] == expected_cx, shop
        total_open += expected_fulfillment + expected_cx
    assert total_open > 0, "the sandbox should have open breaches to compare"


def test_ops_tile_shows_platform_activation_for_every_shop(built, store):
    ops = _by_shop(built, "v_ops_aggregate_metrics")
    latest = _query(
        built,
        "select total_shops, shops_activated from marts.shop_activation_metrics"
        " where shop_domain = 'platform' order by date desc limit 1",
    )
    assert latest and latest[0][0] > 0, "the platform activation table should have rows"
    for shop in store.truth()["shops"]:
        assert (ops[shop]["total_shops"], ops[shop]["shops_activated"]) == latest[0], shop


def test_cx_escalations_list_every_open_breach(built, store):
    listed = dict(
        _query(
            built,
            "select shop_domain, count(*) filter (where is_sla_breach)"
            " from marts.v_cx_escalations group by 1",
        )
    )
    for shop in store.truth()["shops"]:
        assert listed.get(shop, 0) == _open_cx_breaches(store, shop), shop


LIST_VIEWS = (
    ("v_fulfillment_issues", "rpt_fulfillment_issues", "issue_severity", "severity_rank"),
    ("v_cx_escalations", "rpt_cx_escalations", "escalation_severity", "severity_rank"),
    ("v_inventory_alerts", "rpt_inventory_alerts", "alert_severity", "alert_rank"),
)


@pytest.mark.parametrize(("view", "table", "severity", "rank"), LIST_VIEWS)
def test_list_views_return_every_row_ranked_most_urgent_first(built, view, table, severity, rank):
    """Every row of the report, urgency_rank 1..n per shop, severity never improving as the
    rank grows; the tile's 50 are `order by urgency_rank limit 50`."""
    in_table = dict(_query(built, f"select shop_domain, count(*) from marts.{table} group by 1"))  # noqa: S608
    assert in_table, f"{table} should have rows in the sandbox"
    if view == "v_inventory_alerts":
        assert max(in_table.values()) > 50, "inventory alerts should overflow one tile page"
    for shop, total in in_table.items():
        ranked = _query(
            built,
            f"select urgency_rank, {rank} from marts.{view} where shop_domain = %s"  # noqa: S608
            " order by urgency_rank",
            (shop,),
        )
        assert [r[0] for r in ranked] == list(range(1, total + 1)), shop
        assert [r[1] for r in ranked] == sorted(r[1] for r in ranked), shop
        page = _query(
            built,
            f"select urgency_rank from marts.{view} where shop_domain = %s"  # noqa: S608
            " order by urgency_rank limit 50",
            (shop,),
        )
        assert [r[0] for r in page] == list(range(1, min(total, 50) + 1))


@pytest.mark.parametrize(("view", "table", "severity", "rank"), LIST_VIEWS)
def test_severity_sorts_by_meaning(built, view, table, severity, rank):
    """`order by <severity>` lists critical, high, medium, low (the launch checklist's query)."""
    order = [
        row[0]
        for row in _query(
            built,
            f"select {severity}::text as label from marts.{view} as v order by v.{severity}",  # noqa: S608
        )
    ]
    meaning = ["critical", "high", "medium", "low"]
    assert order == sorted(order, key=meaning.index)
    assert len(set(order)) >= 2, f"{view} should show more than one severity"


def test_data_quality_function_agrees_with_the_comprehensive_view(built):
    rows = _dicts(built, "select * from marts.run_data_quality_checks()")
    view = _dicts(
        built,
        "select shop_domain, count(*) as checks, count(*) filter (where status = 'fail') as failed"
        " from marts.v_data_quality_comprehensive group by 1",
    )
    by_shop = {r["shop_domain"]: r for r in view}
    assert {r["shop_domain"] for r in rows} == set(by_shop)
    # every shop runs every check of the catalogue (ten at first; issues add to it)
    catalogue = _query(
        built, "select count(distinct check_name) from marts.v_data_quality_comprehensive"
    )
    assert catalogue[0][0] >= 10
    for row in rows:
        expected = by_shop[row["shop_domain"]]
        assert row["checks_run"] == expected["checks"] == catalogue[0][0]
        assert row["checks_failed"] == expected["failed"]
        assert row["status"] == ("pass" if expected["failed"] == 0 else "fail")


# -- the launch checklist (spec/launch-validation.md), its own queries on the built warehouse ---

CHECKLIST_VIEWS = (
    "v_sales_pulse_current",
    "v_inventory_alerts",
    "v_fulfillment_issues",
    "v_cx_escalations",
    "v_activation_rate_7d",
    "v_sla_performance_7d",
    "v_product_performance",
    "v_customer_segment_summary",
    "v_revenue_trends_30d",
    "v_category_trends_30d",
    "v_inventory_velocity_trends",
    "v_customer_segment_trends",
    "v_vehicle_compatibility_analysis",
    "v_data_quality_checks",
    "v_data_freshness",
    "v_growth_milestones",
    "v_growth_rates",
    "v_kpi_summary",
    "v_ceo_time_savings_30d",
    "v_ceo_time_savings_ytd",
    "v_export_daily_performance",
    "v_export_customer_segments",
    "v_export_product_performance",
)
TILE_COLUMNS = {
    "v_sales_pulse_current": "current_date total_revenue total_orders avg_order_value"
    " revenue_vs_last_week_pct fulfillment_rate_pct top_products",
    "v_inventory_alerts": "sku quantity_available days_of_cover stock_status velocity_tier"
    " alert_severity alert_message",
    "v_fulfillment_issues": "order_number fulfillment_status days_to_fulfill issue_type"
    " issue_severity sla_deadline",
    "v_cx_escalations": "chatwoot_conversation_id priority sentiment is_sla_breach"
    " first_response_time_minutes status",
    "v_activation_rate_7d": "date shops_activated activation_rate_pct",
    "v_sla_performance_7d": "operator_id resolution_rate_pct avg_median_response_time",
}


def test_checklist_tables_and_views_are_created(built):
    present = {
        row[0]
        for row in _query(
            built, "select c.relname from pg_class c where c.relnamespace = 'marts'::regnamespace"
        )
    }
    assert set(CORE_TABLES) <= present
    assert set(CHECKLIST_VIEWS) <= present


def test_checklist_rls_status_and_policy_coverage(built):
    rows = _query(
        built,
        "select tablename, rowsecurity from pg_tables where schemaname = 'marts'"
        " and tablename = any(%s)",
        (list(CORE_TABLES),),
    )
    assert dict(rows) == dict.fromkeys(CORE_TABLES, True)
    policies = _query(
        built,
        "select tablename, array_agg(policyname::text order by policyname) from pg_policies"
        " where schemaname = 'marts' and tablename = any(%s) group by 1",
        (list(CORE_TABLES),),
    )
    both = ["operator_shop_scope", "service_all_shops"]
    assert dict(policies) == dict.fromkeys(CORE_TABLES, both)


def test_checklist_constraints_primary_keys_and_not_null_keys(built):
    keys = dict(
        _query(
            built,
            "select c.conrelid::regclass::text, pg_get_constraintdef(c.oid) from pg_constraint c"
            " where c.connamespace = 'marts'::regnamespace and c.contype = 'p'",
        )
    )
    assert {f"marts.{t}": "PRIMARY KEY (id)" for t in CORE_TABLES}.items() <= keys.items()
    nullable_keys = _query(
        built,
        "select table_name, column_name from information_schema.columns"
        " where table_schema = 'marts' and table_name = any(%s)"
        " and column_name in ('id', 'shop_domain') and is_nullable = 'YES'",
        (list(CORE_TABLES),),
    )
    assert nullable_keys == []
    with pytest.raises(Exception, match="null value"):
        _query(built, "insert into marts.sales_metrics_daily (id, shop_domain) values (null, 'x')")


def test_checklist_every_table_view_and_contract_column_has_a_comment(built, contract_views):
    uncommented = _query(
        built,
        "select c.relname from pg_class c where c.relnamespace = 'marts'::regnamespace"
        " and c.relkind in ('r', 'v') and c.relname not like '%%\\_\\_%%'"
        " and coalesce(obj_description(c.oid, 'pg_class'), '') = ''",
    )
    assert uncommented == []
    columns = _query(
        built,
        "select c.relname, a.attname from pg_class c join pg_attribute a on a.attrelid = c.oid"
        " where c.relnamespace = 'marts'::regnamespace and c.relname = any(%s)"
        " and a.attnum > 0 and not a.attisdropped"
        " and coalesce(col_description(c.oid, a.attnum), '') = ''",
        ([*contract_views, *CORE_TABLES],),
    )
    assert columns == []


def test_checklist_indexes(built):
    indexes = _query(built, "select indexdef from pg_indexes where schemaname = 'marts'")
    definitions = "\n".join(row[0] for row in indexes)
    for fragment in (
        "product_categories USING gin (fits_vehicle_years)",
        "product_categories USING gin (fits_makes)",
        "product_categories USING gin (fits_models)",
        "fulfillment_tracking USING btree (shop_domain, order_created_at) WHERE is_sla_breach",
        "cx_conversations USING btree (shop_domain, conversation_created_at) WHERE is_sla_breach",
        "fulfillment_tracking USING btree (shop_domain, order_created_at) WHERE has_issue",
        "cx_conversations USING btree (shop_domain, escalated_at) WHERE is_escalated",
        "sku_performance USING btree (shop_domain) WHERE is_trending",
        "sku_performance USING btree (shop_domain, shopify_product_id)",
        "inventory_snapshots USING btree (shop_domain, shopify_product_id)",
        "inventory_snapshots USING btree (shop_domain, snapshot_date) WHERE (stock_status",
        "sales_metrics_daily USING btree (shop_domain, date DESC)",
    ):
        assert fragment in definitions, fragment


def test_checklist_tile_queries_return_what_they_promise(built):
    for view, expected in TILE_COLUMNS.items():
        columns = _dicts(built, f"select * from marts.{view} limit 1")  # noqa: S608
        described = [
            row[0]
            for row in _query(
                built,
                "select column_name from information_schema.columns"
                " where table_schema = 'marts' and table_name = %s",
                (view,),
            )
        ]
        assert set(expected.split()) <= set(described), view
        assert columns, f"{view} should have rows in the sandbox"
    alerts = _dicts(built, "SELECT * FROM marts.v_inventory_alerts ORDER BY alert_severity")
    rank = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    listed = [rank[row["alert_severity"]] for row in alerts]
    assert listed == sorted(listed) and len(set(listed)) > 2
    issues = _query(
        built,
        "select distinct issue_severity::text from marts.v_fulfillment_issues"
        " where issue_severity in ('critical', 'high')",
    )
    assert {r[0] for r in issues} <= {"critical", "high"} and issues
    escalations = _query(
        built, "SELECT * FROM marts.v_cx_escalations WHERE status IN ('open', 'pending')"
    )
    assert escalations
    for view in ("v_data_quality_checks", "v_data_freshness"):
        assert _query(built, f"select * from marts.{view}")  # noqa: S608


def test_a_failed_access_check_is_a_failing_data_quality_check(built, store, dbt_target):
    """The extractors' access checks (raw_app.access_checks) show in v_data_quality_checks: the
    Shopify token without read_all_orders is a failing critical check for its shop."""
    shops = sorted(shop["domain"] for shop in store.shops())
    as_of = json.dumps({"as_of": store.now.strftime("%Y-%m-%dT%H:%M:%SZ")})
    rebuild = ["run", "--select", "stg_warehouse__access_checks+", "--vars", as_of]
    insert = (
        "insert into raw_app.access_checks (source, shop_domain, check_name, passed, detail)"
        " values ('shopify', %s, 'shopify_read_all_orders', %s, 'test')"
    )
    try:
        _query(built, insert + " returning 1", (shops[0], False))
        _query(built, insert + " returning 1", (shops[1], True))
        _dbt(built, dbt_target, rebuild)
        rows = _dicts(
            built,
            "select shop_domain, status::text, severity::text, issue_count"
            " from marts.v_data_quality_checks where check_name = 'shopify_read_all_orders'",
        )
        checklist = _query(
            built,
            "select count(*) from marts.v_data_quality_checks"
            " where check_name <> 'shopify_read_all_orders'",
        )
    finally:
        _query(built, "delete from raw_app.access_checks returning 1")
        _dbt(built, dbt_target, rebuild)
    assert sorted((r["shop_domain"], r["status"], r["issue_count"]) for r in rows) == [
        (shops[0], "fail", 1),
        (shops[1], "pass", 0),
    ]
    assert {r["severity"] for r in rows} == {"critical"}
    # the launch and bad-value checks (orders: 5; every other source: 1) are unchanged
    assert checklist[0][0] == 11 * len(shops)
