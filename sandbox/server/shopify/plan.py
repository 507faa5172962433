"""Compile a validated GraphQL selection into a plan, then project stored payloads through it.

Executing graphql-core per record would cost tens of microseconds per field; instead a document is
compiled once per request into :class:`Field` plans (aliases, fragments and arguments resolved),
and stored *landed* payloads (docs/raw-landing.md: nested connections are plain lists) are walked
with plain dict operations. Connections are rebuilt in Shopify's shape
(``edges``/``node``/``cursor``, ``nodes``, ``pageInfo``); the bulk writer uses the same plans
to emit JSONL rows.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
    is_object_type,
)
from graphql.execution.values import get_argument_values, get_directive_values
from graphql.type import GraphQLIncludeDirective, GraphQLSkipDirective

FITMENT = ("custom", "vehicle_fitment")


@dataclass
class Context:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: dict[str, Any]
    # compiled projectors by (id(field list), type name, skip_connections); the value keeps the
    # list alive so its id cannot be reused while the context lives
    projectors: dict[tuple[int, str, bool], tuple[list, Callable[[dict], dict]]] = field(
        default_factory=dict
    )


@dataclass
class Field:
    """One response key of one selection, compiled for a parent type."""

    key: str
    name: str
    args: dict[str, Any]
    kind: str  # typename | scalar | object | connection
    type_name: str  # named return type
    is_list: bool
    ast: FieldNode
    selections: list[SelectionSetNode]
    ctx: Context
    _children: dict[str, list[Field]] = field(default_factory=dict)

    def children(self, type_name: str | None = None) -> list[Field]:
        """The compiled sub-selection for a concrete type (defaults to the return type)."""
        name = type_name or self.type_name
        if name not in self._children:
            parent = self.ctx.schema.get_type(name)
            assert isinstance(parent, GraphQLObjectType), name
            self._children[name] = compile_fields(self.ctx, parent, self.selections)
        return self._children[name]

    def node_type(self) -> str:
        """For a connection: the type of its nodes."""
        conn = self.ctx.schema.get_type(self.type_name)
        assert isinstance(conn, GraphQLObjectType)
        return get_named_type(conn.fields["nodes"].type).name


def _included(ctx: Context, node: Any) -> bool:
    skip = get_directive_values(GraphQLSkipDirective, node, ctx.variables)
    if skip and skip.get("if"):
        return False
    include = get_directive_values(GraphQLIncludeDirective, node, ctx.variables)
    return not (include and not include.get("if"))


def _applies(ctx: Context, condition: str | None, parent: GraphQLObjectType) -> bool:
    if condition is None or condition == parent.name:
        return True
    cond_type = ctx.schema.get_type(condition)
    if cond_type is None or is_object_type(cond_type):
        return False
    return ctx.schema.is_sub_type(cond_type, parent)  # type: ignore[arg-type]


def collect(
    ctx: Context, parent: GraphQLObjectType, selection_sets: list[SelectionSetNode]
) -> dict[str, list[FieldNode]]:
    grouped: dict[str, list[FieldNode]] = {}

    def walk(sel_set: SelectionSetNode) -> None:
        for sel in sel_set.selections:
            if not _included(ctx, sel):
                continue
            if isinstance(sel, FieldNode):
                key = sel.alias.value if sel.alias else sel.name.value
                grouped.setdefault(key, []).append(sel)
            elif isinstance(sel, InlineFragmentNode):
                cond = sel.type_condition.name.value if sel.type_condition else None
                if _applies(ctx, cond, parent):
                    walk(sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode):
                frag = ctx.fragments.get(sel.name.value)
                if frag and _applies(ctx, frag.type_condition.name.value, parent):
                    walk(frag.selection_set)

    for sel_set in selection_sets:
        walk(sel_set)
    return grouped


def compile_fields(
    ctx: Context, parent: GraphQLObjectType, selection_sets: list[SelectionSetNode]
) -> list[Field]:
    fields: list[Field] = []
    for key, nodes in collect(ctx, parent, selection_sets).items():
        first = nodes[0]
        name = first.name.value
        subs = [n.selection_set for n in nodes if n.selection_set]
        if name == "__typename":
            fields.append(Field(key, name, {}, "typename", "String", False, first, [], ctx))
            continue
        field_def = parent.fields[name]
        args = get_argument_values(field_def, first, ctx.variables)
        named = get_named_type(field_def.type)
        is_list = is_list_type(get_nullable_type(field_def.type))
        if is_leaf_type(named):
            kind = "scalar"
        elif (
            isinstance(named, GraphQLObjectType)
            and named.name.endswith("Connection")
            and "edges" in named.fields
            and "pageInfo" in named.fields
        ):
            kind = "connection"
        else:
            kind = "object"
        fields.append(Field(key, name, args, kind, named.name, is_list, first, subs, ctx))
    return fields


# --- cursors ------------------------------------------------------------------------------


def encode_cursor(value: Any) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Any:
    """The value inside a cursor; ValueError when it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"Invalid cursor {cursor!r}") from exc


# --- projection ---------------------------------------------------------------------------


def concrete_type(f: Field, value: dict) -> str:
    """The object type of a value of an abstract field (from ``__typename`` or its GID)."""
    gql_type = f.ctx.schema.get_type(f.type_name)
    if is_object_type(gql_type):
        return f.type_name
    explicit = value.get("__typename")
    if explicit:
        return str(explicit)
    gid = str(value.get("id") or "")
    if gid.startswith("gid://shopify/"):
        return gid.split("/")[3]
    return f.type_name


def field_value(f: Field, payload: dict) -> Any:
    """The raw stored value of a field in a landed payload."""
    if f.name == "metafield":
        if (f.args.get("namespace"), f.args.get("key")) == FITMENT:
            return payload.get("fitment", payload.get(f.key))
        return None
    if f.name == "quantities":
        rows = payload.get("quantities") or []
        names = list(f.args.get("names") or [])
        by_name = {r.get("name"): r for r in rows}
        return [by_name[n] for n in names if n in by_name]
    return payload.get(f.name)


SPECIAL = frozenset({"metafield", "quantities"})
_CONST, _GET, _CALL = 0, 1, 2


def project(
    fields: list[Field], payload: dict, type_name: str, *, skip_connections: bool = False
) -> dict:
    """``payload`` seen through ``fields`` (the response object of one node)."""
    return projector(fields, type_name, skip_connections)(payload)


def projector(
    fields: list[Field], type_name: str, skip_connections: bool = False
) -> Callable[[dict], dict]:
    """A function projecting payloads through ``fields``, compiled once per selection: plain
    fields become ``dict.get``, the rest small closures (bulk runs it for every row)."""
    if not fields:
        return lambda payload: {}
    cache = fields[0].ctx.projectors
    cache_key = (id(fields), type_name, skip_connections)
    found = cache.get(cache_key)
    if found is not None:
        return found[1]
    steps: list[tuple[str, int, Any]] = []
    for f in fields:
        if f.kind == "typename":
            steps.append((f.key, _CONST, type_name))
        elif f.kind == "scalar":
            if f.name in SPECIAL:
                steps.append((f.key, _CALL, _bind_value(f)))
            else:
                steps.append((f.key, _GET, f.name))
        elif f.kind == "connection":
            if not skip_connections:
                steps.append((f.key, _CALL, _bind_connection(f)))
        else:
            steps.append((f.key, _CALL, _object_projector(f)))

    def run(payload: dict) -> dict:
        out: dict[str, Any] = {}
        get = payload.get
        for key, mode, arg in steps:
            if mode == _GET:
                out[key] = get(arg)
            elif mode == _CALL:
                out[key] = arg(payload)
            else:
                out[key] = arg
        return out

    cache[cache_key] = (fields, run)
    return run


def _bind_value(f: Field) -> Callable[[dict], Any]:
    return lambda payload: field_value(f, payload)


def _bind_connection(f: Field) -> Callable[[dict], Any]:
    return lambda payload: nested_connection(f, field_value(f, payload) or [])


def _object_projector(f: Field) -> Callable[[dict], Any]:
    static = is_object_type(f.ctx.schema.get_type(f.type_name))
    sub = projector(f.children(), f.type_name) if static else None
    special = f.name in SPECIAL
    name = f.name
    first = f.args.get("first") if f.is_list else None

    def one(value: dict) -> Any:
        if sub is not None:
            return sub(value)
        kind = concrete_type(f, value)
        return project(f.children(kind), value, kind)

    def resolve(payload: dict) -> Any:
        value = field_value(f, payload) if special else payload.get(name)
        if value is None:
            return None
        if f.is_list:
            items = value if first is None else value[:first]
            return [None if v is None else one(v) for v in items]
        return one(value)

    return resolve


def nested_connection(f: Field, items: list[dict]) -> dict:
    """A connection over a plain list (nested connections: cursors are list positions)."""
    start = 0
    if f.args.get("after"):
        start = int(decode_cursor(f.args["after"]).get("i", -1)) + 1
    first = f.args.get("first")
    end = len(items) if first is None else start + first
    window = [(item, encode_cursor({"i": start + n})) for n, item in enumerate(items[start:end])]
    return build_connection(f, window, has_next=end < len(items), has_previous=start > 0)


def build_connection(
    f: Field, window: list[tuple[dict, str]], *, has_next: bool, has_previous: bool
) -> dict:
    node_type = f.node_type()
    out: dict[str, Any] = {}
    for child in f.children():
        if child.kind == "typename":
            out[child.key] = f.type_name
        elif child.name == "edges":
            edge_fields = child.children()
            edges = []
            for payload, cursor in window:
                edge: dict[str, Any] = {}
                for ef in edge_fields:
                    if ef.name == "node":
                        kind = concrete_type(ef, payload)
                        edge[ef.key] = project(ef.children(kind), payload, kind)
                    elif ef.name == "cursor":
                        edge[ef.key] = cursor
                    elif ef.kind == "typename":
                        edge[ef.key] = child.type_name
                    else:
                        edge[ef.key] = None
                edges.append(edge)
            out[child.key] = edges
        elif child.name == "nodes":
            out[child.key] = [project(child.children(node_type), p, node_type) for p, _ in window]
        elif child.name == "pageInfo":
            info = {
                "hasNextPage": has_next,
                "hasPreviousPage": has_previous,
                "startCursor": window[0][1] if window else None,
                "endCursor": window[-1][1] if window else None,
                "__typename": "PageInfo",
            }
            out[child.key] = {pf.key: info.get(pf.name) for pf in child.children()}
        else:
            out[child.key] = None
    return out
