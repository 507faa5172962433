"""graphql-core errors rewritten the way Shopify (graphql-ruby) words them."""

from __future__ import annotations

import re
from typing import Any

from graphql import DocumentNode, FieldNode, GraphQLError, OperationDefinitionNode
from graphql.language import Visitor, visit

_RULES: list[tuple[re.Pattern[str], Any]] = []


def _rule(pattern: str) -> Any:
    def register(fn: Any) -> Any:
        _RULES.append((re.compile(pattern), fn))
        return fn

    return register


@_rule(r"^Cannot query field '(?P<field>\w+)' on type '(?P<type>\w+)'")
def _undefined_field(m: re.Match[str]) -> tuple[str, dict]:
    return (
        f"Field '{m['field']}' doesn't exist on type '{m['type']}'",
        {"code": "undefinedField", "typeName": m["type"], "fieldName": m["field"]},
    )


@_rule(r"^Unknown argument '(?P<arg>\w+)' on field '(?P<type>\w+)\.(?P<field>\w+)'")
def _unknown_argument(m: re.Match[str]) -> tuple[str, dict]:
    return (
        f"Field '{m['field']}' doesn't accept argument '{m['arg']}'",
        {
            "code": "argumentNotAccepted",
            "name": m["field"],
            "typeName": "Field",
            "argumentName": m["arg"],
        },
    )


@_rule(r"^Field '(?P<field>\w+)' argument '(?P<arg>\w+)' of type '.*' is required")
def _missing_argument(m: re.Match[str]) -> tuple[str, dict]:
    return (
        f"Field '{m['field']}' is missing required arguments: {m['arg']}",
        {
            "code": "missingRequiredArguments",
            "className": "Field",
            "name": m["field"],
            "arguments": m["arg"],
        },
    )


@_rule(r"^Field '(?P<field>\w+)' of type '(?P<type>[\w!\[\]]+)' must have a selection")
def _needs_selection(m: re.Match[str]) -> tuple[str, dict]:
    type_name = m["type"].strip("[]!")
    return (
        f"Field must have selections (field '{m['field']}' returns {type_name} but has no "
        f"selections. Did you mean '{m['field']} {{ ... }}'?)",
        {"code": "selectionMismatch", "nodeName": f"field '{m['field']}'", "typeName": type_name},
    )


@_rule(r"^Field '(?P<field>\w+)' must not have a selection since type '(?P<type>[\w!\[\]]+)'")
def _scalar_selection(m: re.Match[str]) -> tuple[str, dict]:
    type_name = m["type"].strip("[]!")
    return (
        f"Selections can't be made on scalars (field '{m['field']}' returns {type_name} but has "
        "selections)",
        {"code": "selectionMismatch", "nodeName": f"field '{m['field']}'", "typeName": type_name},
    )


@_rule(r"^Variable '\$(?P<var>\w+)' is never used")
def _unused_variable(m: re.Match[str]) -> tuple[str, dict]:
    return (
        f"Variable ${m['var']} is declared but not used",
        {"code": "variableNotUsed", "variableName": m["var"]},
    )


def _paths(document: DocumentNode) -> dict[int, list[str]]:
    """Each field node's path, graphql-ruby style: ["query Name", "orders", "edges", ...]."""
    paths: dict[int, list[str]] = {}

    class PathVisitor(Visitor):
        def __init__(self) -> None:
            super().__init__()
            self.stack: list[str] = []

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            op = node.operation.value
            self.stack = [f"{op} {node.name.value}" if node.name else op]

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            self.stack.append(node.name.value)
            paths[id(node)] = list(self.stack)

        def leave_field(self, node: FieldNode, *_: Any) -> None:
            self.stack.pop()

    visit(document, PathVisitor())
    return paths


def shopify_error(error: GraphQLError, document: DocumentNode | None = None) -> dict:
    """One graphql-core error in Shopify's JSON shape."""
    message = error.message
    extensions: dict[str, Any] = dict(error.extensions or {})
    for pattern, build in _RULES:
        match = pattern.search(message)
        if match:
            message, extensions = build(match)
            break
    out: dict[str, Any] = {"message": message}
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if document is not None and error.nodes:
        path = _paths(document).get(id(error.nodes[-1]))
        if path:
            out["path"] = path
    if extensions:
        out["extensions"] = extensions
    return out


def syntax_error(error: GraphQLError) -> dict:
    """A parse error, worded like Shopify's (``syntax error, ... at [line, column]``)."""
    text = error.message.removeprefix("Syntax Error: ")
    out: dict[str, Any] = {"message": f"syntax error, {text}"}
    if error.locations:
        loc = error.locations[0]
        out["message"] += f" at [{loc.line}, {loc.column}]"
        out["locations"] = [{"line": loc.line, "column": loc.column}]
    return out


def plain(message: str, code: str | None = None, **extra: Any) -> dict:
    out: dict[str, Any] = {"message": message}
    if code or extra:
        out["extensions"] = {**({"code": code} if code else {}), **extra}
    return out
