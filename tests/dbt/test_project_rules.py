"""The dbt-project-evaluator rules that apply to this project, checked on dbt's manifest.

dbt-project-evaluator is a hub package (unreachable here), so its rules that matter to us are
written out, our way:

- models read sources only in the staging layer, and sources are declared in staging folders;
- public models (the contract) have enforced contracts; exposures depend on public models only;
- every model and every documented column has a description;
- every model has a primary-key test: `unique` + `not_null` on one column, or our own generic
  test `unique_combination` (the evaluator knows dbt_utils' `unique_combination_of_columns`);
- models are named for their layer: stg_<source>__<entity>, int_, rpt_; marts carry none of
  those prefixes.

Documented exceptions:
- the contract views keep the names SPEC section 4 gives them (v_*), and the ten core tables
  and the mart tables beside them keep the data dictionary's unprefixed names (no fct_/dim_);
- stg_warehouse__raw_table_stats reads every raw source at run time (a loop over graph.sources),
  so the manifest shows it reading none: the source freshness measure, not entity data.
"""

from __future__ import annotations

import re

import pytest

from tests.support.contract_views import CONTRACT_VIEW_COUNT

LAYER_PREFIX = {"staging": "stg_", "intermediate": "int_", "reports": "rpt_", "contract": "v_"}
FOREIGN_PREFIXES = ("stg_", "int_", "rpt_", "v_", "pre_", "tile_")


@pytest.fixture(scope="module")
def manifest(parsed_manifest: dict) -> dict:
    """The project's manifest of `dbt parse` (parsed once per session: tests/dbt/conftest.py)."""
    return parsed_manifest


def _models(manifest: dict) -> list[dict]:
    return [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]


def _layer(node: dict) -> str:
    return node["original_file_path"].split("/")[1]


# Documented exceptions: the models incremental by key (issue 17) find the keys that changed since
# their watermark from the raw tables' landing stamps (extracted_at, deleted_at) and from
# raw_app.redactions, through index reads a staging view would hide; they read no payload field
# from them -- but cx_commerce_links, which reads the keys a contact matches a customer on (e-mail,
# phone, numeric id, custom attribute) through the expression indexes of migration 0015. Each
# entry is exactly the sources that model may name.
_CHANGED_KEY_READS = {
    "int_orders_data_issues": {"raw_shopify.orders"},
    "int_sku_daily_sales_aggregated": {"raw_shopify.orders"},
    "int_customer_personas": {"raw_shopify.customers"},
    "int_customer_orders_aggregated": {"raw_shopify.orders", "raw_shopify.customers"},
    "int_conversations_measured": {"raw_chatwoot.contacts", "raw_app.redactions"},
    "int_conversation_sentiment_scored": {"raw_chatwoot.contacts", "raw_app.redactions"},
    "fulfillment_tracking": {"raw_shopify.orders", "raw_shopify.customers"},
    "fulfillment_shipments": {"raw_shopify.orders"},
    "cx_conversations": {"raw_shopify.customers"},
    "cx_commerce_links": {
        "raw_shopify.orders",
        "raw_shopify.customers",
        "raw_chatwoot.contacts",
        "raw_app.redactions",
    },
}


def test_only_staging_models_read_sources(manifest):
    offenders = []
    for node in _models(manifest):
        if _layer(node) == "staging":
            continue
        read = {d.split(".", 2)[2] for d in node["depends_on"]["nodes"] if d.startswith("source.")}
        extra = read - _CHANGED_KEY_READS.get(node["name"], set())
        if extra:
            offenders.append((node["name"], sorted(extra)))
    assert offenders == []


def test_sources_are_declared_in_staging_folders(manifest):
    outside = {
        s["original_file_path"]
        for s in manifest["sources"].values()
        if not s["original_file_path"].startswith("models/staging/")
    }
    assert not outside


def test_public_models_have_enforced_contracts(manifest):
    public = [n for n in _models(manifest) if n.get("access") == "public"]
    assert len(public) == CONTRACT_VIEW_COUNT
    assert [n["name"] for n in public if not n["config"]["contract"]["enforced"]] == []


def test_exposures_depend_on_public_models_only(manifest):
    nodes = manifest["nodes"]
    for exposure in manifest["exposures"].values():
        deps = exposure["depends_on"]["nodes"]
        assert deps, exposure["name"]
        private = [d for d in deps if nodes.get(d, {}).get("access") != "public"]
        assert not private, f"{exposure['name']} depends on non-public {private}"


def test_every_model_and_column_is_described(manifest):
    missing = []
    for node in _models(manifest):
        if not node["description"].strip():
            missing.append(node["name"])
        if not node["columns"]:
            missing.append(f"{node['name']}: no columns documented")
        missing += [
            f"{node['name']}.{c['name']}"
            for c in node["columns"].values()
            if not c["description"].strip()
        ]
    assert not missing, missing


def test_every_model_has_a_primary_key_test(manifest):
    unique: dict[str, set[str]] = {}
    not_null: dict[str, set[str]] = {}
    combined: set[str] = set()
    for node in manifest["nodes"].values():
        meta = node.get("test_metadata") or {}
        model = node.get("attached_node")
        if node["resource_type"] != "test" or not model:
            continue
        if meta.get("name") == "unique":
            unique.setdefault(model, set()).add(node["column_name"])
        elif meta.get("name") == "not_null":
            not_null.setdefault(model, set()).add(node["column_name"])
        elif meta.get("name") == "unique_combination":
            combined.add(model)
    untested = [
        node["name"]
        for node in _models(manifest)
        if node["unique_id"] not in combined
        and not unique.get(node["unique_id"], set()) & not_null.get(node["unique_id"], set())
    ]
    assert not untested, f"models without a primary-key test: {untested}"


def test_models_are_named_for_their_layer(manifest):
    wrong = []
    for node in _models(manifest):
        layer, name = _layer(node), node["name"]
        prefix = LAYER_PREFIX.get(layer)
        if layer == "staging":
            source = node["original_file_path"].split("/")[2]
            ok = re.fullmatch(rf"stg_{source}__[a-z0-9_]+", name) is not None
        elif prefix:
            ok = name.startswith(prefix)
        else:  # marts: business entities, never another layer's prefix
            ok = not name.startswith(FOREIGN_PREFIXES)
        if not ok:
            wrong.append(f"{layer}/{name}")
    assert not wrong
