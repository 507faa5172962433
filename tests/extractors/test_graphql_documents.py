"""Every GraphQL document the Shopify extractor sends validates against the pinned real schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema, parse, validate

from extractors.shopify import queries

SCHEMA = Path("/work/shared/reference/shopify-admin-2026-07.graphql")
if not SCHEMA.exists():  # the repo's sibling folder when checked out elsewhere
    SCHEMA = Path(__file__).resolve().parents[3] / "shared/reference/shopify-admin-2026-07.graphql"


@pytest.fixture(scope="module")
def schema():
    if not SCHEMA.exists():
        pytest.skip(f"schema file not found: {SCHEMA}")
    return build_schema(SCHEMA.read_text())


def _documents() -> dict[str, str]:
    docs = queries.all_documents()
    for entity in queries.ENTITIES:
        docs[f"{entity.entity}_bulk_full"] = entity.bulk_document()
    return docs


@pytest.mark.parametrize("name", sorted(_documents()))
def test_document_is_valid(schema, name):
    errors = validate(schema, parse(_documents()[name]))
    assert not errors, [e.message for e in errors]


def test_an_invalid_document_is_caught(schema):
    errors = validate(schema, parse("{ orders(first: 1) { edges { node { noSuchField } } } }"))
    assert errors


def test_version_is_pinned_to_the_reference():
    assert queries.API_VERSION == "2026-07"
