"""The part of Chatwoot's OpenAPI description that the tests validate the stand-in's answers with.

``chatwoot_openapi.subset.json`` beside this module holds the paths and component schemas below
and every component they reference, unchanged, under an ``x-hotrod-provenance`` record (source,
its sha256, what was kept). ``hotrod sandbox reference --from DIR`` regenerates it from the full
``DIR/chatwoot-swagger.json``; add a path or schema here, then regenerate.
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
_COMPONENTS = "#/components/"

# The one list of what is kept: the paths the extractors and the stand-in use (with every
# component they reference) and the component schemas the stand-in's answers are validated with.
PATHS = (
    "/api/v1/profile",
    "/api/v1/accounts/{account_id}/conversations",
    "/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages",
    "/api/v1/accounts/{account_id}/agents",
    "/api/v1/accounts/{account_id}/inboxes",
    "/api/v1/accounts/{account_id}/contacts",
    "/api/v1/accounts/{account_id}/webhooks",
    "/api/v2/accounts/{account_id}/reports/summary",
)
SCHEMAS = (
    "user",
    "conversation_list",
    "message",
    "agent",
    "contacts_list_response",
    "inbox",
    "account_summary",
)


def _refs(node: Any) -> set[str]:
    """Every ``#/components/<kind>/<name>`` reference below ``node``."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        found = {ref} if isinstance(ref, str) and ref.startswith(_COMPONENTS) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node)) if node else set()
    return set()


def subset(swagger: dict[str, Any]) -> dict[str, Any]:
    """The kept paths, the kept schemas, and every component (of any kind) they reach."""
    paths = {path: swagger["paths"][path] for path in PATHS if path in swagger["paths"]}
    components: dict[str, dict[str, Any]] = {}
    todo = _refs(paths) | {f"{_COMPONENTS}schemas/{name}" for name in SCHEMAS}
    done: set[str] = set()
    while todo:
        ref = todo.pop()
        if ref in done:
            continue
        done.add(ref)
        kind, name = ref[len(_COMPONENTS) :].split("/", 1)
        node = swagger["components"][kind][name]
        components.setdefault(kind, {})[name] = node
        todo |= _refs(node) - done
    return {
        "paths": paths,
        "components": {kind: dict(sorted(v.items())) for kind, v in sorted(components.items())},
    }


def render_subset(source: bytes) -> str:
    swagger = json.loads(source)
    document = {
        "x-hotrod-provenance": {
            "generated_by": "hotrod sandbox reference --from DIR (chatwoot_reference.py)",
            "source": f"{SWAGGER_NAME}: {SOURCE}",
            "source_sha256": hashlib.sha256(source).hexdigest(),
            "paths_kept": list(PATHS),
            "schemas_kept": list(SCHEMAS),
        },
        "openapi": swagger.get("openapi"),
        "info": swagger.get("info"),
        **subset(swagger),
    }
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def write_subset(reference_dir: Path, out: Path = SUBSET) -> Path:
    """Regenerate the in-repo subset from ``reference_dir/chatwoot-swagger.json``."""
    out.write_text(render_subset((reference_dir / SWAGGER_NAME).read_bytes()), encoding="utf-8")
    return out


def load() -> dict[str, Any]:
    """The in-repo subset (an OpenAPI document with only the kept component schemas)."""
    return json.loads(SUBSET.read_text(encoding="utf-8"))


def validator(name: str) -> Any:
    """A JSON Schema validator for one kept component schema (``jsonschema`` is a dev package)."""
    import jsonschema

    schema = {"$ref": f"{_COMPONENTS}schemas/{name}", "components": load()["components"]}
    return jsonschema.Draft202012Validator(schema)
