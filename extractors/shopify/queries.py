"""The GraphQL documents the Shopify extractor sends (API version pinned in API_VERSION).

Each entity has one *node selection*. It is used twice:

* paginated increments: ``<root>(first: $first, after: $after, query: $query, sortKey: UPDATED_AT)``
  with nested connections asked as ``(first: N) { edges { node { ... } } }``;
* bulk operations: the same selection without pagination arguments, where nested connections come
  back as separate JSONL rows carrying ``__parentId``.

Either way the landed payload is the node with every nested connection flattened to a plain list
of nodes under the same key (``payload->'lineItems'`` is a JSON array). docs/raw-landing.md is the
contract staging models read. Bulk operations cannot select a connection inside a list field, so
refunds and fulfillments (lists on Order) carry no nested connections.
"""

from __future__ import annotations

from dataclasses import dataclass

API_VERSION = "2026-07"

MONEY = "shopMoney { amount currencyCode }"


@dataclass(frozen=True)
class Nested:
    """A nested connection inside a node selection."""

    field: str
    first: int
    selection: str


@dataclass(frozen=True)
class EntityQuery:
    entity: str  # raw table name
    root: str  # QueryRoot connection field
    selection: str  # scalar/object fields of the node
    nested: tuple[Nested, ...] = ()
    incremental: bool = True  # supports query: "updated_at:>=..." and sortKey UPDATED_AT
    node_type: str = ""  # the GraphQL type of the nodes (node(id:) ... on <type>)

    def node_selection(self, paginated: bool) -> str:
        """The node's fields; paginated, each nested connection also asks for its pageInfo (a
        record with more nested pages is read to the end before it is landed)."""
        parts = [self.selection.strip()]
        for nested in self.nested:
            args = f"(first: {nested.first})" if paginated else ""
            info = " pageInfo { hasNextPage endCursor }" if paginated else ""
            edges = f"edges {{ node {{ {nested.selection.strip()} }} }}"
            parts.append(f"{nested.field}{args} {{ {edges}{info} }}")
        return "\n".join(parts)

    def nested_page_document(self, nested: Nested) -> str:
        """The next page of one nested connection of one record (read until hasNextPage is
        false)."""
        name = f"{self.node_type}{nested.field[0].upper()}{nested.field[1:]}Page"
        return (
            f"query {name}($id: ID!, $first: Int!, $after: String) {{\n"
            f"  node(id: $id) {{ ... on {self.node_type} {{\n"
            f"    {nested.field}(first: $first, after: $after) {{\n"
            f"      edges {{ node {{ {nested.selection.strip()} }} }}\n"
            "      pageInfo { hasNextPage endCursor }\n"
            "    }\n  } }\n}"
        )

    def page_document(self) -> str:
        if self.incremental:
            variables = "$first: Int!, $after: String, $query: String"
            args = "first: $first, after: $after, query: $query, sortKey: UPDATED_AT"
        else:
            variables = "$first: Int!, $after: String"
            args = "first: $first, after: $after"
        return (
            f"query {self.entity.title().replace('_', '')}Page({variables}) {{\n"
            f"  {self.root}({args}) {{\n"
            f"    edges {{ node {{\n{self.node_selection(paginated=True)}\n    }} }}\n"
            "    pageInfo { hasNextPage endCursor }\n"
            "  }\n}"
        )

    def bulk_document(self, search: str | None = None) -> str:
        """The inner query of bulkOperationRunQuery (search is an updated_at filter, optional)."""
        args = f'(query: "{search}")' if search else ""
        return (
            "{\n"
            f"  {self.root}{args} {{ edges {{ node {{\n{self.node_selection(paginated=False)}\n"
            "  } } }\n}"
        )


SHOP_DOCUMENT = """
query ShopInfo {
  shop {
    id name myshopifyDomain ianaTimezone currencyCode createdAt updatedAt
  }
}
"""

LOCATIONS = EntityQuery(
    node_type="Location",
    entity="locations",
    root="locations",
    incremental=False,
    selection="""
      id name isActive fulfillsOnlineOrders createdAt updatedAt
      address { city provinceCode countryCode }
    """,
)

PRODUCTS = EntityQuery(
    node_type="Product",
    entity="products",
    root="products",
    selection="""
      id title handle productType vendor tags status createdAt updatedAt
      fitment: metafield(namespace: "custom", key: "vehicle_fitment") { value type }
    """,
    nested=(
        Nested(
            "variants",
            100,
            """
            id sku title price compareAtPrice createdAt updatedAt
            inventoryItem { id tracked unitCost { amount currencyCode } }
            """,
        ),
    ),
)

INVENTORY_ITEMS = EntityQuery(
    node_type="InventoryItem",
    entity="inventory_levels",
    root="inventoryItems",
    incremental=False,
    selection="id sku updatedAt",
    nested=(
        Nested(
            "inventoryLevels",
            50,
            """
            id updatedAt
            location { id }
            quantities(names: ["available", "committed", "incoming", "on_hand", "reserved"]) {
              name quantity
            }
            """,
        ),
    ),
)

CUSTOMERS = EntityQuery(
    node_type="Customer",
    entity="customers",
    root="customers",
    selection="""
      id firstName lastName displayName createdAt updatedAt tags state verifiedEmail
      numberOfOrders
      amountSpent { amount currencyCode }
      defaultEmailAddress { emailAddress }
      defaultPhoneNumber { phoneNumber }
      defaultAddress { city provinceCode countryCode zip }
    """,
)

ORDERS = EntityQuery(
    node_type="Order",
    entity="orders",
    root="orders",
    selection=f"""
      id name createdAt updatedAt processedAt cancelledAt closedAt test
      displayFinancialStatus displayFulfillmentStatus currencyCode tags discountCodes sourceName
      totalPriceSet {{ {MONEY} }}
      subtotalPriceSet {{ {MONEY} }}
      totalDiscountsSet {{ {MONEY} }}
      totalRefundedSet {{ {MONEY} }}
      customer {{ id }}
      shippingAddress {{ provinceCode countryCode }}
      shippingLine {{ title code }}
      refunds(first: 50) {{ id createdAt note totalRefundedSet {{ {MONEY} }} }}
      fulfillments(first: 20) {{
        id status displayStatus createdAt updatedAt deliveredAt inTransitAt estimatedDeliveryAt
        location {{ id }}
        trackingInfo(first: 5) {{ company number url }}
      }}
    """,
    nested=(
        Nested(
            "lineItems",
            250,
            f"""
            id sku title quantity currentQuantity vendor
            variant {{ id }}
            product {{ id }}
            originalUnitPriceSet {{ {MONEY} }}
            discountedTotalSet {{ {MONEY} }}
            """,
        ),
    ),
)

ENTITIES: tuple[EntityQuery, ...] = (LOCATIONS, PRODUCTS, INVENTORY_ITEMS, CUSTOMERS, ORDERS)

BULK_RUN_MUTATION = """
mutation RunBulk($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}
"""

# bulkOperation(id:) (currentBulkOperation is deprecated in 2026-07 and sees one operation only)
BULK_STATUS_QUERY = """
query BulkStatus($id: ID!) {
  bulkOperation(id: $id) {
    id status errorCode objectCount rootObjectCount url partialDataUrl createdAt completedAt
  }
}
"""

# a first load split in parts (split.py): how many orders a filter matches (no 10,000 cap), and
# the oldest or newest updatedAt
ORDERS_COUNT_QUERY = """
query OrdersCount($query: String) {
  ordersCount(query: $query, limit: null) { count precision }
}
"""

ORDERS_EDGE_QUERY = """
query OrdersEdge($reverse: Boolean!) {
  orders(first: 1, sortKey: UPDATED_AT, reverse: $reverse) { edges { node { updatedAt } } }
}
"""

ACCESS_SCOPES_QUERY = """
query AccessScopes {
  currentAppInstallation {
    accessScopes { handle }
  }
}
"""


NODE_TYPES = {
    "orders": "Order",
    "products": "Product",
    "customers": "Customer",
    "inventory_levels": "InventoryItem",
}


def nodes_document(entity: EntityQuery) -> str:
    """``nodes(ids:)`` with the entity's node selection exactly as paginated extraction asks it
    (webhook change notices land what an extraction lands)."""
    type_name = NODE_TYPES[entity.entity]
    return (
        f"query {type_name}Nodes($ids: [ID!]!) {{\n"
        f"  nodes(ids: $ids) {{\n    ... on {type_name} {{\n"
        f"{entity.node_selection(paginated=True)}\n    }}\n  }}\n}}"
    )


def all_documents() -> dict[str, str]:
    """Every document the extractor can send, by name (validated against the real schema)."""
    docs = {
        "shop": SHOP_DOCUMENT,
        "bulk_run": BULK_RUN_MUTATION,
        "bulk_status": BULK_STATUS_QUERY,
        "access_scopes": ACCESS_SCOPES_QUERY,
        "orders_count": ORDERS_COUNT_QUERY,
        "orders_edge": ORDERS_EDGE_QUERY,
    }
    for entity in ENTITIES:
        docs[f"{entity.entity}_page"] = entity.page_document()
        for nested in entity.nested:
            docs[f"{entity.entity}_{nested.field}_page"] = entity.nested_page_document(nested)
        docs[f"{entity.entity}_bulk"] = entity.bulk_document("updated_at:>='2026-01-01T00:00:00Z'")
        if entity.entity in NODE_TYPES:
            docs[f"{entity.entity}_nodes"] = nodes_document(entity)
    return docs
