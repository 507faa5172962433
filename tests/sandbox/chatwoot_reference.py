"""The pruned copy of Chatwoot's OpenAPI file kept in the repo, and how it is pruned.

Tests validate what the Chatwoot stand-in sends against these schemas, so the stand-in cannot
drift toward the extractors. The copy keeps the paths the extractors and the stand-in use and
every component they reach (``prune``); ``test_pruned_reference_matches_the_full_one`` checks it
against the full file when ``../shared/reference`` sits beside the checkout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PRUNED = ROOT / "tests" / "fixtures" / "reference" / "chatwoot-openapi.pruned.json"
FULL = ROOT.parent / "shared" / "reference" / "chatwoot-swagger.json"  # drift test only
PATHS = (
    "/api/v1/profile",
    "/api/v1/accounts/{account_id}/conversations",
    "/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages",
    "/api/v1/accounts/{account_id}/agents",
    "/api/v1/accounts/{account_id}/inboxes",
    "/api/v1/accounts/{account_id}/contacts",
    "/api/v1/accounts/{account_id}/webhooks",
)
SCHEMAS = ("user", "conversation_list", "message", "agent", "contacts_list_response", "inbox")
PROVENANCE = (
    "Pruned from Chatwoot's OpenAPI file (shared/reference/chatwoot-swagger.json) by "
    "tests/sandbox/chatwoot_reference.py: the paths listed there and every component they "
    "reference, unmodified."
)


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def prune(full: dict) -> dict:
    """The listed paths, the listed schemas, and every component they reference."""
    out: dict[str, Any] = {
        "x-hotrod-provenance": PROVENANCE,
        "openapi": full.get("openapi"),
        "info": full.get("info"),
        "paths": {p: full["paths"][p] for p in PATHS if p in full["paths"]},
        "components": {},
    }
    todo = _refs(out["paths"]) | {f"#/components/schemas/{name}" for name in SCHEMAS}
    done: set[str] = set()
    while todo:
        ref = todo.pop()
        if ref in done or not ref.startswith("#/components/"):
            continue
        done.add(ref)
        _, _, kind, name = ref.split("/", 3)
        node = full["components"][kind][name]
        out["components"].setdefault(kind, {})[name] = node
        todo |= _refs(node) - done
    for kind in out["components"]:
        out["components"][kind] = dict(sorted(out["components"][kind].items()))
    return out


def load() -> dict:
    return json.loads(PRUNED.read_text())


def validator(name: str):
    import jsonschema

    reference = load()
    return jsonschema.Draft202012Validator(
        {"$ref": f"#/components/schemas/{name}", "components": reference["components"]}
    )
