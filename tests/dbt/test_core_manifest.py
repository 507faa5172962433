"""The core layer documents and tests itself: read from dbt's manifest after `dbt parse`.

Every staging, intermediate and core model has a description and a described column list; every
model has a primary-key test (unique on a column, or unique_combination on the key columns); the
ten core tables enforce their contracts with a data type on every column; every raw source has a
description and a freshness rule; the tricky rules have dbt unit tests.
"""

from __future__ import annotations

import pytest

from tests.support.core_models import CORE_TABLES, core_model_nodes

RAW_SCHEMAS = {"raw_shopify", "raw_chatwoot", "raw_app", "raw_ga4"}
# Rows arrive only when something happens (a redaction, the retention run): no freshness.
EVENT_TABLES = {"redactions", "decision_log_archive"}
UNIT_TESTED_MODELS = {
    "int_customers_segmented",  # segmentation
    "int_products_fitment_parsed",  # fitment parsing
    "int_orders_sla_evaluated",  # SLA breach
    "int_sku_sales_windowed",  # velocity tiers
    "sales_so_far",  # today so far vs the same time last week
    "rpt_sales_pulse",  # the comparison base of Tile 1
    "rpt_growth_milestones",  # complete months plus the current month's run rate
    "rpt_inventory_alerts",  # list views: every row, ranked
}


@pytest.fixture(scope="module")
def manifest(parsed_manifest: dict) -> dict:
    """The project's manifest of `dbt parse` (parsed once per session: tests/dbt/conftest.py)."""
    return parsed_manifest


def test_core_layer_is_complete(manifest: dict) -> None:
    names = {node["name"] for node in core_model_nodes(manifest).values()}
    assert set(CORE_TABLES) <= names
    # one per source entity (21, GA4's 2 and CSAT responses included), inbox working hours,
    # fulfillments' carriers, the decision-log archive, the rejected values (orders; every other
    # source), and the warehouse's own records (access checks included)
    assert sum(name.startswith("stg_") for name in names) == 31
    assert sum(name.startswith("int_") for name in names) >= 10


def test_every_model_and_column_is_described(manifest: dict) -> None:
    missing = []
    for node in core_model_nodes(manifest).values():
        if not node["description"].strip():
            missing.append(node["name"])
        if not node["columns"]:
            missing.append(f"{node['name']}: no columns documented")
        for column in node["columns"].values():
            if not column["description"].strip():
                missing.append(f"{node['name']}.{column['name']}")
    assert not missing, missing


def test_every_model_has_a_primary_key_test(manifest: dict) -> None:
    keyed: dict[str, set[str]] = {}
    not_null: dict[str, set[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("test_metadata"):
            continue
        kind = node["test_metadata"]["name"]
        model_id = node.get("attached_node")
        if kind in ("unique", "unique_combination"):
            keyed.setdefault(model_id, set()).add(kind)
        if kind == "not_null":
            not_null.setdefault(model_id, set()).add(node.get("column_name"))
    missing = [node["name"] for uid, node in core_model_nodes(manifest).items() if uid not in keyed]
    assert not missing, f"models without a primary-key test: {missing}"
    for uid, node in core_model_nodes(manifest).items():
        if node["name"] in CORE_TABLES:
            assert "unique" in keyed[uid] and "id" in not_null.get(uid, set()), node["name"]


def test_core_tables_enforce_contracts_with_typed_columns(manifest: dict) -> None:
    for node in core_model_nodes(manifest).values():
        if node["name"] not in CORE_TABLES:
            continue
        assert node["config"]["contract"]["enforced"], node["name"]
        assert "shop_domain" in node["columns"], node["name"]
        untyped = [c["name"] for c in node["columns"].values() if not c.get("data_type")]
        assert not untyped, f"{node['name']}: untyped columns {untyped}"


def test_every_raw_source_is_described_with_freshness(manifest: dict) -> None:
    sources = [s for s in manifest["sources"].values() if s["source_name"] in RAW_SCHEMAS]
    tables = {(s["schema"], s["name"]) for s in sources}
    assert len(tables) >= 15
    for source in sources:
        assert source["description"].strip(), source["unique_id"]
        if source["name"] in EVENT_TABLES:
            assert source.get("freshness") in (None, {}) or not (
                source["freshness"].get("error_after") or {}
            ).get("count"), source["unique_id"]
            continue
        freshness = source.get("freshness") or {}
        assert freshness.get("error_after", {}).get("count"), source["unique_id"]
        assert source.get("loaded_at_field") == "extracted_at", source["unique_id"]


def test_rules_have_unit_tests(manifest: dict) -> None:
    tested = {
        unit["model"] if "model" in unit else unit["depends_on"]["nodes"][0].split(".")[-1]
        for unit in manifest.get("unit_tests", {}).values()
    }
    assert tested >= UNIT_TESTED_MODELS, UNIT_TESTED_MODELS - tested
