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


def _nodes_cost(f: Field) -> int:
    """``nodes(ids:)``: every id is charged as one object with its type's selection (the stand-in
    charges the worst case: a batch of ids costs what that many ``node(id:)`` queries would)."""
    total = 0
    for gid in f.args.get("ids") or []:
        parts = str(gid).split("/")
        type_name = parts[3] if len(parts) > 4 else ""
        obj = f.ctx.schema.get_type(type_name) if type_name else None
        children = f.children(type_name) if isinstance(obj, GraphQLObjectType) else []
        total += 1 + requested_cost(children)
    return total


def requested_cost(fields: list[Field]) -> int:
    total = 0
    for f in fields:
        if f.kind in ("typename", "scalar"):
            continue
        if f.name == "nodes" and "ids" in f.args:
            total += _nodes_cost(f)
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


def _static_node_cost(fields: list[Field]) -> tuple[int, list[Field]]:
    """Cost of a node's objects (connections excluded) and its nested connections."""
    total, connections = 0, []
    for f in fields:
        if f.kind == "connection":
            connections.append(f)
        elif f.kind == "object":
            obj = f.ctx.schema.get_type(f.type_name)
            children = f.children() if isinstance(obj, GraphQLObjectType) else []
            total += 1 + requested_cost(children)
    return total, connections


def _rows(conn: Field, value: dict) -> list[tuple[list[Field], Any]]:
    out: list[tuple[list[Field], Any]] = []
    for child in conn.children():
        rows = value.get(child.key) or []
        if child.name == "nodes":
            out.extend((child.children(conn.node_type()), r) for r in rows)
        elif child.name == "edges":
            for ef in child.children():
                if ef.name == "node":
                    out.extend((ef.children(conn.node_type()), r.get(ef.key)) for r in rows)
    return out


def actual_cost(fields: list[Field], data: Any) -> int:
    """Like ``requested_cost`` but sized by the nodes actually returned (objects are charged as
    requested; each connection by its own node count, nested ones by their largest page)."""
    if not isinstance(data, dict):
        return 0
    total = 0
    for f in fields:
        value = data.get(f.key)
        if f.kind in ("typename", "scalar") or value is None:
            continue
        if f.name == "nodes" and "ids" in f.args:
            total += _nodes_cost(f)
            continue
        if f.kind != "connection":
            obj = f.ctx.schema.get_type(f.type_name)
            children = f.children() if isinstance(obj, GraphQLObjectType) else []
            total += 1 + requested_cost(children)
            continue
        rows = _rows(f, value)
        if not rows:
            total += 2
            continue
        static, nested = _static_node_cost(rows[0][0])
        nested_cost = 0
        for conn in nested:
            sizes = [
                len(_rows(conn, row.get(conn.key) or {}))
                for _, row in rows
                if isinstance(row, dict)
            ]
            node_fields = [field for nf, t in _node_fields(conn) for field in nf.children(t)]
            node = 1 + _static_node_cost(node_fields)[0]
            nested_cost += 2 + page_scale(max(sizes, default=0)) * node
        total += 2 + page_scale(len(rows)) * (1 + static + nested_cost)
    return total
