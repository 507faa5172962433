"""The part of Chatwoot's OpenAPI description that the tests validate the stand-in's answers with.

``chatwoot_openapi.subset.json`` beside this module holds the component schemas below and every
schema they reference, unchanged, under an ``x-hotrod-provenance`` record (source, its sha256,
the schemas kept). ``hotrod sandbox reference --from DIR`` regenerates it from the full
``DIR/chatwoot-swagger.json``; add a schema here, then regenerate.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

SWAGGER_NAME = "chatwoot-swagger.json"  # the full reference's file name
SUBSET = Path(__file__).with_name("chatwoot_openapi.subset.json")
SOURCE = (
    "Chatwoot's OpenAPI description (swagger/swagger.json of GitHub chatwoot/chatwoot, "
    "as shipped with release 4.14.2)"
)
_REF = "#/components/schemas/"

# The one list of kept component schemas (the stand-in's answers are validated against them).
SCHEMAS = ("conversation_list", "message", "agent", "contacts_list_response")


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"][len(_REF) :]} if str(node.get("$ref", "")).startswith(_REF) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node)) if node else set()
    return set()


def subset(swagger: dict[str, Any], roots: tuple[str, ...] = SCHEMAS) -> dict[str, dict]:
    """The root schemas and every component schema they reach through ``$ref``."""
    schemas = swagger["components"]["schemas"]
    kept: dict[str, dict] = {}
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name in kept:
            continue
        kept[name] = schemas[name]
        stack.extend(_refs(schemas[name]) - set(kept))
    return dict(sorted(kept.items()))


def render_subset(source: bytes) -> str:
    swagger = json.loads(source)
    document = {
        "x-hotrod-provenance": {
            "generated_by": "hotrod sandbox reference --from DIR (chatwoot_reference.py)",
            "source": f"{SWAGGER_NAME}: {SOURCE}",
            "source_sha256": hashlib.sha256(source).hexdigest(),
            "schemas_kept": list(SCHEMAS),
        },
        "openapi": swagger.get("openapi"),
        "info": swagger.get("info"),
        "components": {"schemas": subset(swagger)},
    }
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def write_subset(reference_dir: Path, out: Path = SUBSET) -> Path:
    """Regenerate the in-repo subset from ``reference_dir/chatwoot-swagger.json``."""
    out.write_text(render_subset((reference_dir / SWAGGER_NAME).read_bytes()), encoding="utf-8")
    return out


def load() -> dict[str, Any]:
    """The in-repo subset (an OpenAPI document with only the kept component schemas)."""
    return json.loads(SUBSET.read_text(encoding="utf-8"))
