"""One Shopify Admin GraphQL request: parse, validate against the real schema subset, check page
sizes and cost, resolve the root fields from the store, and answer in Shopify's shape."""

from __future__ import annotations

import json
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLObjectType,
    OperationDefinitionNode,
    get_operation_ast,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values

from sandbox.server.data import DataAccess
from sandbox.server.faults import FaultInjector
from sandbox.server.schema import shopify_schema
from sandbox.server.shopify import cost
from sandbox.server.shopify.bulk import BulkManager
from sandbox.server.shopify.errors import plain, shopify_error, syntax_error
from sandbox.server.shopify.plan import (
    Context,
    Field,
    build_connection,
    compile_fields,
    concrete_type,
    decode_cursor,
    encode_cursor,
    project,
)
from sandbox.server.shopify.roots import (
    CONNECTIONS,
    SINGLES,
    get_node,
    iter_nodes,
    key_from_cursor,
    orders_since,
)
from sandbox.server.shopify.search import parse_search
from sandbox.server.shopify.subscriptions import Subscriptions
from sandbox.server.throttle import CostBucket

MAX_PAGE_SIZE = 250
SCOPE_DESCRIPTIONS = {
    "read_all_orders": "Read all orders, not only those of the last 60 days",
    "read_orders": "Read orders, transactions, and fulfillments",
    "read_products": "Read products, variants, and collections",
    "read_customers": "Read customer details and customer groups",
    "read_inventory": "Read inventory",
    "read_locations": "Read locations",
    "read_fulfillments": "Read fulfillment services",
}


class ResolveError(Exception):
    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class ShopifyGraphQL:
    def __init__(
        self,
        data: DataAccess,
        bucket: CostBucket,
        faults: FaultInjector,
        bulk: BulkManager,
    ) -> None:
        self.data = data
        self.bucket = bucket
        self.faults = faults
        self.bulk = bulk
        self.subscriptions = Subscriptions()
        # parsed and validated documents by query text (extractors repeat the same few)
        self._checked: dict[str, tuple[DocumentNode, list[dict]]] = {}

    def context(self, variables: dict) -> Context:
        return Context(shopify_schema(), {}, variables)

    # --- request --------------------------------------------------------------------------

    def throttled(self, shop: str, requested: int | None = None, *, empty: bool = False) -> dict:
        status = self.bucket.status(shop).as_json()
        if empty:
            status["currentlyAvailable"] = 0
        return {
            "errors": [
                {
                    "message": "Throttled",
                    "extensions": {
                        "code": "THROTTLED",
                        "documentation": "https://shopify.dev/api/usage/rate-limits",
                    },
                }
            ],
            "extensions": {
                "cost": {
                    "requestedQueryCost": requested,
                    "actualQueryCost": None,
                    "throttleStatus": status,
                }
            },
        }

    def execute(self, shop: str, body: dict) -> dict:
        query = body.get("query")
        if not isinstance(query, str) or not query.strip():
            return {"errors": [plain("No query string was present")]}
        schema = shopify_schema()
        checked = self._checked.get(query)
        if checked is None:
            try:
                document = parse(query)
            except GraphQLError as exc:
                return {"errors": [syntax_error(exc)]}
            errors = [shopify_error(e, document) for e in validate(schema, document)]
            checked = (document, errors)
            if len(self._checked) >= 256:
                self._checked.clear()
            self._checked[query] = checked
        document, errors = checked
        if errors:
            return {"errors": errors}
        operation = get_operation_ast(document, body.get("operationName"))
        if operation is None:
            return {"errors": [plain("An operation name is required")]}
        raw_variables = body.get("variables") or {}
        if isinstance(raw_variables, str):  # some clients send the variables as a JSON string
            try:
                raw_variables = json.loads(raw_variables)
            except ValueError:
                return {"errors": [plain("Variables are invalid JSON")]}
        coerced = get_variable_values(schema, operation.variable_definitions or (), raw_variables)
        if isinstance(coerced, list):
            return {"errors": [self._variable_error(e) for e in coerced]}
        ctx = Context(
            schema,
            {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            },
            coerced,
        )
        is_mutation = operation.operation.value == "mutation"
        root_type = schema.mutation_type if is_mutation else schema.query_type
        assert root_type is not None
        fields = compile_fields(ctx, root_type, [operation.selection_set])
        size_errors = self._check_page_sizes(fields, operation)
        if size_errors:
            return {"errors": size_errors}
        requested = cost.requested_cost(fields) + (cost.MUTATION_COST if is_mutation else 0)
        limit = self.faults.config.max_query_cost
        if requested > limit:
            return {
                "errors": [
                    plain(
                        f"Query cost is {requested}, which exceeds the single query max cost "
                        f"limit ({limit}).\n\nSee https://shopify.dev/docs/api/usage/rate-limits "
                        "for more information on how the\ncost of a query is calculated.\n\nTo "
                        "query larger amounts of data with fewer limits, bulk operations should "
                        "be used instead.\nSee https://shopify.dev/docs/api/usage/bulk-operations/"
                        "queries for usage details.\n",
                        "MAX_COST_EXCEEDED",
                        cost=requested,
                        maxCost=limit,
                    )
                ]
            }
        if not self.bucket.try_acquire(shop, requested):
            return self.throttled(shop, requested)
        data: dict[str, Any] = {}
        out_errors: list[dict] = []
        for f in fields:
            try:
                data[f.key] = self._resolve_root(shop, f, is_mutation)
            except ResolveError as exc:
                data[f.key] = None
                out_errors.append(
                    {"message": str(exc), "path": [f.key]}
                    | ({"extensions": {"code": exc.code}} if exc.code else {})
                )
        actual = cost.actual_cost(fields, data) + (cost.MUTATION_COST if is_mutation else 0)
        status = self.bucket.settle(shop, requested, actual)
        response: dict[str, Any] = {"data": data}
        if out_errors:
            response["errors"] = out_errors
        response["extensions"] = {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": status.as_json(),
            }
        }
        return response

    @staticmethod
    def _variable_error(error: GraphQLError) -> dict:
        message = error.message
        name = message.split("'", 2)[1] if message.count("'") >= 2 else "?"
        return plain(
            f"Variable {name} was provided invalid value",
            "INVALID_VARIABLE",
            problems=[{"path": [], "explanation": message}],
        )

    def _check_page_sizes(
        self, fields: list[Field], operation: OperationDefinitionNode
    ) -> list[dict]:
        errors: list[dict] = []
        op_name = operation.operation.value + (f" {operation.name.value}" if operation.name else "")

        def walk(fs: list[Field], path: list[str]) -> None:
            for f in fs:
                here = [*path, f.name]
                if f.kind == "connection":
                    first, last = f.args.get("first"), f.args.get("last")
                    if first is None and last is None:
                        errors.append(
                            {
                                "message": "you must provide one of first or last",
                                "locations": [_loc(f)],
                                "path": here,
                            }
                        )
                    for arg, size in (("first", first), ("last", last)):
                        if size is not None and (size > MAX_PAGE_SIZE or size < 0):
                            errors.append(
                                {
                                    "message": f"Argument '{arg}' on Field '{f.name}' has an "
                                    f"invalid value ({size}). Expected a value between 0 and "
                                    f"{MAX_PAGE_SIZE}.",
                                    "locations": [_loc(f)],
                                    "path": here,
                                    "extensions": {
                                        "code": "MAX_PAGE_SIZE_EXCEEDED",
                                        "maxPageSize": MAX_PAGE_SIZE,
                                    },
                                }
                            )
                    for child in f.children():
                        if child.name == "nodes":
                            walk(child.children(f.node_type()), [*here, "nodes"])
                        elif child.name == "edges":
                            for ef in child.children():
                                if ef.name == "node":
                                    walk(ef.children(f.node_type()), [*here, "edges", "node"])
                elif f.kind == "object" and isinstance(
                    f.ctx.schema.get_type(f.type_name), GraphQLObjectType
                ):
                    walk(f.children(), here)

        walk(fields, [op_name])
        return errors

    # --- resolvers ------------------------------------------------------------------------

    def _resolve_root(self, shop: str, f: Field, is_mutation: bool) -> Any:
        if is_mutation and f.name == "webhookSubscriptionCreate":
            return self._subscribe(shop, f)
        if is_mutation:
            return self._bulk_run(shop, f)
        if f.name == "webhookSubscriptions":
            return self._subscriptions(shop, f)
        if f.kind == "typename":
            return "QueryRoot"
        if f.name == "shop":
            rows = self.data.page("shopify", "shops", shop, limit=1)
            if not rows:
                return None
            return project(f.children(), rows[0].payload, "Shop")
        if f.name in CONNECTIONS:
            return self._root_connection(shop, f)
        if f.name == "ordersCount":
            return self._orders_count(shop, f)
        if f.name in SINGLES:
            payload = get_node(
                self.data, shop, SINGLES[f.name], str(f.args.get("id")), self._orders_since()
            )
            return None if payload is None else project(f.children(), payload, SINGLES[f.name])
        if f.name == "node":
            return self._node(shop, f, str(f.args.get("id")))
        if f.name == "nodes":  # in the order asked; null for an id with no record
            return [self._node(shop, f, str(gid)) for gid in f.args.get("ids") or []]
        if f.name == "bulkOperation":
            op = self.bulk.get(str(f.args.get("id")), shop)
            return None if op is None else project(f.children(), op.payload(), "BulkOperation")
        if f.name == "currentAppInstallation":
            return project(f.children(), self._installation(), "AppInstallation")
        if f.name == "currentBulkOperation":
            op = self.bulk.current(shop)
            return None if op is None else project(f.children(), op.payload(), "BulkOperation")
        return None

    def _orders_since(self) -> Any:
        return orders_since(self.data, self.faults.config.access_scopes)

    def _installation(self) -> dict:
        """The app installation: the scopes the merchant granted (``access_scopes``)."""
        return {
            "id": "gid://shopify/AppInstallation/1",
            "accessScopes": [
                {"handle": scope, "description": SCOPE_DESCRIPTIONS.get(scope, scope)}
                for scope in self.faults.config.access_scopes
            ],
        }

    def _node(self, shop: str, f: Field, gid: str) -> Any:
        parts = gid.split("/")
        if len(parts) < 5 or not gid.startswith("gid://shopify/"):
            raise ResolveError(f"Invalid global id '{gid}'", "argumentLiteralsIncompatible")
        type_name = parts[3]
        if type_name == "BulkOperation":
            op = self.bulk.get(gid, shop)
            payload = op.payload() if op else None
        else:
            payload = get_node(self.data, shop, type_name, gid, self._orders_since())
        if payload is None:
            return None
        payload = {**payload, "__typename": type_name}
        kind = concrete_type(f, payload)
        return project(f.children(kind), payload, kind)

    def _root_connection(self, shop: str, f: Field) -> dict:
        if f.args.get("last") is not None or f.args.get("before") is not None:
            raise ResolveError(
                "The sandbox pages forward only: use first/after (with reverse: true for newest "
                "first).",
                "BAD_REQUEST",
            )
        first = int(f.args.get("first") or 0)
        after = None
        if f.args.get("after"):
            try:
                after = key_from_cursor(decode_cursor(f.args["after"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise ResolveError(f"Invalid cursor for field '{f.name}'.", "BAD_REQUEST") from exc
        search = parse_search(f.args.get("query"), f.name)
        window: list[tuple[dict, str]] = []
        has_next = False
        nodes = iter_nodes(
            self.data,
            shop,
            f.name,
            search,
            after=after,
            descending=bool(f.args.get("reverse")),
            chunk=first + 1,
            created_since=self._orders_since(),
        )
        for payload, key in nodes:
            if len(window) == first:
                has_next = True
                break
            if self.faults.is_malformed(payload.get("id")):
                payload = self.faults.corrupt_node(payload)
            window.append((payload, encode_cursor(key)))
        return build_connection(f, window, has_next=has_next, has_previous=after is not None)

    def _orders_count(self, shop: str, f: Field) -> dict:
        """``ordersCount(query:, limit:)``: the matching orders, capped at ``limit`` (default
        10000, null for none) with precision AT_LEAST when the cap is reached."""
        search = parse_search(f.args.get("query"), f.name)
        limit = f.args.get("limit", 10000)
        since = self._orders_since()  # without read_all_orders: the last 60 days' only
        window = search.whole_seconds("updatedAt") if since is None else None
        if window is not None:  # updated_at terms only: counted by the store
            count = self.data.count("shopify", "orders", shop, *window)
            if limit is not None:
                count = min(count, int(limit))
        else:
            count = 0
            for _payload, _key in iter_nodes(
                self.data, shop, "orders", search, created_since=since
            ):
                count += 1
                if limit is not None and count >= int(limit):
                    break
        capped = limit is not None and count >= int(limit)
        payload = {"count": count, "precision": "AT_LEAST" if capped else "EXACT"}
        return project(f.children(), payload, "Count")

    def _subscriptions(self, shop: str, f: Field) -> dict:
        found = self.subscriptions.list(shop, f.args.get("topics"), f.args.get("uri"))
        start = 0
        if f.args.get("after"):
            try:
                start = int(decode_cursor(f.args["after"])["n"])
            except (ValueError, KeyError, TypeError) as exc:
                raise ResolveError(f"Invalid cursor for field '{f.name}'.", "BAD_REQUEST") from exc
        first = int(f.args.get("first") or 0)
        window = [
            (sub, encode_cursor({"n": start + i + 1}))
            for i, sub in enumerate(found[start : start + first])
        ]
        has_next = start + first < len(found)
        return build_connection(f, window, has_next=has_next, has_previous=start > 0)

    def _subscribe(self, shop: str, f: Field) -> dict:
        topic = str(f.args.get("topic"))
        subscription, user_errors = self.subscriptions.create(
            shop, topic, dict(f.args.get("webhookSubscription") or {})
        )
        payload = {"webhookSubscription": subscription, "userErrors": user_errors}
        return project(f.children(), payload, f.type_name)

    def _bulk_run(self, shop: str, f: Field) -> dict:
        if f.kind == "typename":
            return "Mutation"
        op, user_errors = self.bulk.start(
            shop, str(f.args.get("query") or ""), bool(f.args.get("groupObjects"))
        )
        payload = {
            "bulkOperation": op.payload() if op else None,
            "userErrors": user_errors,
        }
        return project(f.children(), payload, f.type_name)


def _loc(f: Field) -> dict:
    loc = f.ast.loc
    if loc is None:
        return {"line": 1, "column": 1}
    return {
        "line": loc.source.get_location(loc.start).line,
        "column": loc.source.get_location(loc.start).column,
    }
