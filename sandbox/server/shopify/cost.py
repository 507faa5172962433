"""Query cost, after Shopify's calculated query cost.

Scalars and enums cost 0, objects 1, a mutation 10, and a connection 2 plus its page size times
the cost of one node (the node itself counting 1). Shopify no longer multiplies by the raw page
size: published measurements (250 orders with only scalar fields cost 13; with a
``lineItems(first: 250) { id }`` sub-connection 156) fit ``2 + s(n) * node`` with
``s(n) = round(2 ln n)`` (s(250) = 11, s(100) = 9, s(10) = 5), which is what we charge. Lists of
objects that are not connections (``refunds(first:)``) cost as one object.
``requestedQueryCost`` uses ``first``; ``actualQueryCost`` the number of nodes returned.
"""

from __future__ import annotations

import math
from typing import Any

from graphql import GraphQLObjectType

from sandbox.server.shopify.plan import Field

MUTATION_COST = 10


def page_scale(n: int) -> int:
    if n <= 0:
        return 0
    return max(1, round(2 * math.log(n)))


def _node_fields(conn: Field) -> list[tuple[Field, str]]:
    node_type = conn.node_type()
    out = []
    for child in conn.children():
        if child.name == "nodes":
            out.append((child, node_type))
        elif child.name == "edges":
            for ef in child.children():
                if ef.name == "node":
                    out.append((ef, node_type))
    return out


def requested_cost(fields: list[Field]) -> int:
    total = 0
    for f in fields:
        if f.kind in ("typename", "scalar"):
            continue
        if f.kind == "connection":
            size = f.args.get("first") or f.args.get("last") or 0
            node = 1 + sum(requested_cost(nf.children(t)) for nf, t in _node_fields(f))
            total += 2 + page_scale(int(size)) * node
        else:
            obj = f.ctx.schema.get_type(f.type_name)
            children = f.children() if isinstance(obj, GraphQLObjectType) else []
            total += 1 + requested_cost(children)
    return total


def actual_cost(fields: list[Field], data: Any) -> int:
    if not isinstance(data, dict):
        return 0
    total = 0
    for f in fields:
        value = data.get(f.key)
        if f.kind in ("typename", "scalar") or value is None:
            continue
        if f.kind == "connection":
            nodes: list[tuple[list[Field], Any]] = []
            for child in f.children():
                rows = value.get(child.key) or []
                if child.name == "nodes":
                    nodes.extend((child.children(f.node_type()), r) for r in rows)
                elif child.name == "edges":
                    for ef in child.children():
                        if ef.name == "node":
                            nodes.extend((ef.children(f.node_type()), r.get(ef.key)) for r in rows)
            count = max(
                (len(value.get(c.key) or []) for c in f.children() if c.name in ("edges", "nodes")),
                default=0,
            )
            per_node = max((1 + actual_cost(ch, row) for ch, row in nodes), default=1)
            total += 2 + page_scale(count) * per_node
        else:
            obj = f.ctx.schema.get_type(f.type_name)
            if not isinstance(obj, GraphQLObjectType):
                total += 1
                continue
            rows = value if isinstance(value, list) else [value]
            total += 1 + max((actual_cost(f.children(), r) for r in rows), default=0)
    return total
