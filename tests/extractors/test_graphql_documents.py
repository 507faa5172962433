"""Every GraphQL document the Shopify extractor sends validates against the pinned real schema:
the in-repo subset of the Admin API 2026-07 SDL (sandbox/server/schema.py keeps it)."""

from __future__ import annotations

import pytest
from graphql import build_schema, parse, validate

from extractors.shopify import queries
from sandbox.server.schema import PRUNED_SDL


@pytest.fixture(scope="module")
def schema():
    return build_schema(PRUNED_SDL.read_text(encoding="utf-8"))


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
