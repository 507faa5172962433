"""`hotrod bench` times the list tiles with the query their exposures say the dashboard runs."""

from __future__ import annotations

import yaml

from benchmarks.harness.latency import TILE_QUERY_SUFFIX
from warehouse.settings import REPO_ROOT

EXPOSURES = REPO_ROOT / "dbt_project" / "models" / "contract" / "_contract__exposures.yml"


def test_list_tiles_are_timed_with_the_exposures_tile_query():
    exposures = yaml.safe_load(EXPOSURES.read_text())["exposures"]
    stated = [" ".join(e.get("description", "").split()) for e in exposures]
    assert TILE_QUERY_SUFFIX, "the list tiles should have a tile query"
    for view, suffix in TILE_QUERY_SUFFIX.items():
        query = f"select * from marts.{view}{suffix.replace('%(shop)s', '$1')}"
        assert any(query in text for text in stated), f"no exposure states `{query}`"
