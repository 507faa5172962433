"""The Shopify Admin schema the stand-in validates against: a strict subset of the real SDL.

The reference SDL (``/work/shared/reference/shopify-admin-2026-07.graphql``, 3.8 MB) takes a few
seconds to parse. We keep only the query-root and mutation fields the stand-in serves, drop every
type they cannot reach, and cache the pruned SDL on disk keyed by the source's hash, so later
processes build the schema in a fraction of a second. Every type and field that remains is
byte-for-byte the real one, so a query valid here is valid against Shopify.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from pathlib import Path

from graphql import GraphQLSchema, build_ast_schema, parse, print_ast
from graphql.language import (
    DirectiveDefinitionNode,
    DocumentNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    SchemaDefinitionNode,
    TypeNode,
    UnionTypeDefinitionNode,
)

SDL_NAME = "shopify-admin-2026-07.graphql"
# The reference data sits in `shared/` beside the repository checkout.
SDL_CANDIDATES = (
    Path(__file__).resolve().parents[3] / "shared" / "reference" / SDL_NAME,
    Path("/work/shared/reference") / SDL_NAME,
)
SDL_ENV = "HOTROD_SHOPIFY_SDL"

QUERY_FIELDS = (
    "shop",
    "locations",
    "location",
    "products",
    "product",
    "customers",
    "customer",
    "orders",
    "order",
    "inventoryItems",
    "inventoryItem",
    "node",
    "currentBulkOperation",
    "bulkOperation",
)
MUTATION_FIELDS = ("bulkOperationRunQuery",)
# Reachable only through interfaces (node(id:) ... on BulkOperation), so kept explicitly.
EXTRA_TYPES = ("BulkOperation", "Order", "Product", "Customer", "Location", "InventoryItem")

_lock = threading.Lock()
_schema: GraphQLSchema | None = None


def sdl_path() -> Path:
    """Where the reference SDL is read from (``HOTROD_SHOPIFY_SDL`` overrides)."""
    configured = os.environ.get(SDL_ENV)
    if configured:
        return Path(configured)
    return next((path for path in SDL_CANDIDATES if path.exists()), SDL_CANDIDATES[0])


def _named(type_node: TypeNode) -> str:
    while isinstance(type_node, NonNullTypeNode | ListTypeNode):
        type_node = type_node.type
    assert isinstance(type_node, NamedTypeNode)
    return type_node.name.value


def _references(definition: object) -> set[str]:
    names: set[str] = set()
    for iface in getattr(definition, "interfaces", None) or ():
        names.add(iface.name.value)
    if isinstance(definition, UnionTypeDefinitionNode):
        names.update(t.name.value for t in definition.types or ())
    for field in getattr(definition, "fields", None) or ():
        names.add(_named(field.type))
        for arg in getattr(field, "arguments", None) or ():
            names.add(_named(arg.type))
    return names


def prune(document: DocumentNode) -> DocumentNode:
    """Keep the served root fields and every type reachable from them."""
    by_name: dict[str, object] = {}
    others = []
    for definition in document.definitions:
        name = getattr(definition, "name", None)
        if name is None:
            others.append(definition)
        else:
            by_name[name.value] = definition

    def restrict(type_name: str, keep: tuple[str, ...]) -> None:
        node = by_name[type_name]
        assert isinstance(node, ObjectTypeDefinitionNode)
        fields = tuple(f for f in node.fields or () if f.name.value in keep)
        by_name[type_name] = ObjectTypeDefinitionNode(
            name=node.name,
            description=node.description,
            interfaces=node.interfaces,
            directives=node.directives,
            fields=fields,
        )

    restrict("QueryRoot", QUERY_FIELDS)
    restrict("Mutation", MUTATION_FIELDS)
    seen: set[str] = set()
    stack = ["QueryRoot", "Mutation", *EXTRA_TYPES]
    while stack:
        name = stack.pop()
        if name in seen or name not in by_name:
            continue
        seen.add(name)
        stack.extend(_references(by_name[name]) - seen)
    kept_types = [
        d for n, d in by_name.items() if n in seen or isinstance(d, DirectiveDefinitionNode)
    ]
    schema_defs = [d for d in others if isinstance(d, SchemaDefinitionNode)]
    return DocumentNode(definitions=tuple(schema_defs + kept_types))


def _cache_file(source: bytes) -> Path:
    digest = hashlib.sha256(source).hexdigest()[:16]
    base = Path(os.environ.get("HOTROD_SANDBOX_CACHE", tempfile.gettempdir()))
    return base / f"hotrod-shopify-pruned-{digest}.graphql"


def pruned_sdl() -> str:
    """The pruned SDL text, built from the reference once and cached on disk."""
    path = sdl_path()
    if not path.exists():
        raise FileNotFoundError(
            f"Shopify schema {path} not found; set {SDL_ENV} to the Admin API SDL file"
        )
    source = path.read_bytes()
    cache = _cache_file(source)
    if cache.exists():
        return cache.read_text()
    text = print_ast(prune(parse(source.decode(), no_location=True)))
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(cache)
    return text


def shopify_schema() -> GraphQLSchema:
    """The served schema (built once per process)."""
    global _schema
    with _lock:
        if _schema is None:
            _schema = build_ast_schema(parse(pruned_sdl()), assume_valid_sdl=True)
        return _schema
