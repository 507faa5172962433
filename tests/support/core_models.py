"""What the dbt core layer is made of, for tests that build it or inspect its manifest."""

from __future__ import annotations

CORE_TABLES: tuple[str, ...] = (
    "product_categories",
    "customer_segments",
    "sales_metrics_daily",
    "sku_performance",
    "inventory_snapshots",
    "fulfillment_tracking",
    "cx_conversations",
    "shop_activation_metrics",
    "operator_sla_resolution",
    "ceo_time_savings",
)

# The dbt selection that builds the core layer: every staging model, every core table with all
# its ancestors (intermediate models, rule seeds), and the tests and unit tests on them.
CORE_SELECTION: tuple[str, ...] = ("path:models/staging", *(f"+{name}" for name in CORE_TABLES))

# Folders (relative to dbt_project/) whose models belong to the core layer.
CORE_MODEL_PATHS: tuple[str, ...] = (
    "models/staging/",
    "models/intermediate/sales/",
    "models/intermediate/catalog/",
    "models/intermediate/customers/",
    "models/intermediate/cx/",
    "models/intermediate/fulfillment/",
)


def core_model_nodes(manifest: dict) -> dict[str, dict]:
    """The manifest's model nodes of the core layer, by unique id."""
    models = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model":
            continue
        if node["name"] in CORE_TABLES or node["original_file_path"].startswith(CORE_MODEL_PATHS):
            models[node["unique_id"]] = node
    return models
