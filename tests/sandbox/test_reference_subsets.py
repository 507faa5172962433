"""The in-repo API schema subsets: provenance recorded, complete, and (when the full reference
files sit beside the checkout) exactly what regenerating them gives."""

from __future__ import annotations

import hashlib
import json

import pytest
from graphql import build_schema

from sandbox.server import chatwoot_reference, schema
from warehouse.settings import REPO_ROOT

# Optional drift check: the full reference files, when present beside the checkout
# (../shared/reference). Nothing else in the project reads them.
REFERENCE = REPO_ROOT.parent / "shared" / "reference"
_needs_reference = pytest.mark.skipif(
    not (REFERENCE / schema.SDL_NAME).is_file(), reason="full reference not beside the checkout"
)


def test_pruned_sdl_header_names_its_source_and_kept_fields():
    header = [
        line for line in schema.PRUNED_SDL.read_text().splitlines()[:12] if line.startswith("#")
    ]
    text = "\n".join(header)
    assert f"Source: {schema.SDL_NAME}" in text
    assert any(line.startswith("# Source sha256: ") and len(line) == 17 + 64 for line in header)
    assert f"# Query root fields kept: {', '.join(schema.QUERY_FIELDS)}" in header
    assert f"# Mutation fields kept: {', '.join(schema.MUTATION_FIELDS)}" in header


def test_pruned_sdl_serves_exactly_the_kept_root_fields():
    built = build_schema(schema.PRUNED_SDL.read_text())
    assert set(built.query_type.fields) == set(schema.QUERY_FIELDS)
    assert set(built.mutation_type.fields) == set(schema.MUTATION_FIELDS)
    for name in schema.EXTRA_TYPES:
        assert built.get_type(name) is not None, name


def test_chatwoot_subset_is_closed_under_refs_and_records_its_source():
    document = chatwoot_reference.load()
    provenance = document["x-hotrod-provenance"]
    assert provenance["schemas_kept"] == list(chatwoot_reference.SCHEMAS)
    assert provenance["paths_kept"] == list(chatwoot_reference.PATHS)
    assert len(provenance["source_sha256"]) == 64
    assert set(document["paths"]) == set(chatwoot_reference.PATHS)
    assert set(chatwoot_reference.SCHEMAS) <= set(document["components"]["schemas"])
    present = {
        f"#/components/{kind}/{name}"
        for kind, members in document["components"].items()
        for name in members
    }
    assert chatwoot_reference._refs(document["paths"]) <= present
    for kind, members in document["components"].items():
        for name, body in members.items():
            assert chatwoot_reference._refs(body) <= present, f"{kind}/{name}"


@_needs_reference
def test_pruned_sdl_matches_the_full_reference():
    source = (REFERENCE / schema.SDL_NAME).read_bytes()
    assert schema.render_pruned(source) == schema.PRUNED_SDL.read_text(), (
        "the in-repo subset drifted: run `hotrod sandbox reference --from ../shared/reference`"
    )


@_needs_reference
def test_chatwoot_subset_matches_the_full_reference():
    source = (REFERENCE / chatwoot_reference.SWAGGER_NAME).read_bytes()
    assert (
        json.loads(chatwoot_reference.SUBSET.read_text())["x-hotrod-provenance"]["source_sha256"]
        == hashlib.sha256(source).hexdigest()
    )
    assert chatwoot_reference.render_subset(source) == chatwoot_reference.SUBSET.read_text(), (
        "the in-repo subset drifted: run `hotrod sandbox reference --from ../shared/reference`"
    )
