"""Views, seeds and unit tests on the release (issue 17 item 3, orchestration/defs/release.py).

The release fingerprint changes with what decides a code-only node and with nothing else; the
daily run leaves those nodes out only while the recorded release is this one and every view and
seed exists; a run records its release only when it built every one of them.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orchestration.defs.daily import code_only_exclusion
from orchestration.defs.release import (
    CODE_ONLY,
    code_only_nodes,
    record_if_built,
    release_fingerprint,
    release_is_built,
)
from warehouse.connection import connection
from warehouse.settings import DatabaseUrl

VIEW, SEED, TABLE = "model.hotrod.v_tile", "seed.hotrod.holidays_x", "model.hotrod.orders_x"


def _node(uid: str, resource: str, materialized: str, name: str) -> dict:
    return {
        "unique_id": uid,
        "resource_type": resource,
        "name": name,
        "schema": "marts",
        "alias": name,
        "checksum": {"name": "sha256", "checksum": f"sum-{name}"},
        "config": {"materialized": materialized},
        "description": f"{name} described",
        "columns": {"id": {"name": "id", "description": "the key"}},
        "depends_on": {"macros": [], "nodes": []},
    }


def _manifest() -> dict:
    return {
        "metadata": {
            "project_name": "hotrod",
            "dbt_version": "1.11.0",
            "generated_at": "2026-12-01T00:00:00Z",
            "invocation_id": "one",
        },
        "nodes": {
            VIEW: _node(VIEW, "model", "view", "v_tile"),
            SEED: _node(SEED, "seed", "seed", "holidays_x"),
            TABLE: _node(TABLE, "model", "table", "orders_x"),
        },
        "unit_tests": {},
        "macros": {
            "macro.hotrod.tile_sql": {"package_name": "hotrod", "macro_sql": "select 1"},
            "macro.dbt.other": {"package_name": "dbt", "macro_sql": "select 2"},
        },
    }


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    (tmp_path / "dbt_project.yml").write_text("name: hotrod\nvars:\n  sla_days: 2\n")
    return tmp_path


def test_the_fingerprint_follows_the_definitions_only(project_dir: Path) -> None:
    base = _manifest()
    fingerprint = release_fingerprint(base, project_dir)

    same = copy.deepcopy(base)
    same["metadata"].update(generated_at="2026-12-02T00:00:00Z", invocation_id="two")
    # dbt fills a node's macros in as it compiles it: a run that left the node out has none
    same["nodes"][VIEW]["depends_on"]["macros"] = ["macro.hotrod.tile_sql"]
    assert release_fingerprint(same, project_dir) == fingerprint

    changes = {
        "view SQL": lambda m: m["nodes"][VIEW]["checksum"].update(checksum="edited"),
        "seed file": lambda m: m["nodes"][SEED]["checksum"].update(checksum="edited"),
        "a config": lambda m: m["nodes"][VIEW]["config"].update(materialized="table"),
        "a column description": lambda m: m["nodes"][VIEW]["columns"]["id"].update(
            description="edited"
        ),
        "a project macro": lambda m: m["macros"]["macro.hotrod.tile_sql"].update(
            macro_sql="select 3"
        ),
        "dbt's version": lambda m: m["metadata"].update(dbt_version="1.11.1"),
        "a new node": lambda m: m["nodes"].update(
            {"model.hotrod.new": _node("model.hotrod.new", "model", "view", "new")}
        ),
    }
    for what, change in changes.items():
        edited = copy.deepcopy(base)
        change(edited)
        assert release_fingerprint(edited, project_dir) != fingerprint, what
    (project_dir / "dbt_project.yml").write_text("name: hotrod\nvars:\n  sla_days: 3\n")
    assert release_fingerprint(base, project_dir) != fingerprint, "a project var"


def test_the_code_only_nodes_are_the_views_and_seeds() -> None:
    manifest = _manifest()
    assert code_only_nodes(manifest, manifest["nodes"]) == {VIEW, SEED}
    assert code_only_nodes(manifest, [TABLE]) == set()


def _results(*built: str, failed: tuple[str, ...] = ()) -> dict:
    results = [{"unique_id": uid, "status": "success"} for uid in built]
    return {"results": results + [{"unique_id": uid, "status": "error"} for uid in failed]}


def test_left_out_only_while_this_release_of_every_view_and_seed_is_in_the_warehouse(
    fresh_db: DatabaseUrl, project_dir: Path
) -> None:
    manifest = _manifest()
    nodes = list(manifest["nodes"])
    fingerprint = release_fingerprint(manifest, project_dir)
    with connection(fresh_db) as conn, conn.cursor() as cur:
        cur.execute("create table marts.orders_x (id int)")
        cur.execute("create table marts.holidays_x (id int)")
        cur.execute("create view marts.v_tile as select id from marts.orders_x")

    assert not release_is_built(fresh_db, manifest, nodes, fingerprint)  # nothing recorded
    # a run that failed to build the seed records nothing
    failed = _results(VIEW, failed=(SEED,))
    assert not record_if_built(fresh_db, manifest, nodes, failed, project_dir)
    assert not release_is_built(fresh_db, manifest, nodes, fingerprint)
    # a run that built neither (a real-time run: tables only) records nothing either
    assert not record_if_built(fresh_db, manifest, [TABLE], _results(TABLE), project_dir)

    assert record_if_built(fresh_db, manifest, nodes, _results(VIEW, SEED, TABLE), project_dir)
    assert release_is_built(fresh_db, manifest, nodes, fingerprint)
    assert not release_is_built(fresh_db, manifest, nodes, "another release")

    with connection(fresh_db) as conn, conn.cursor() as cur:
        cur.execute("drop view marts.v_tile")
    assert not release_is_built(fresh_db, manifest, nodes, fingerprint)  # a view is missing


def test_the_daily_exclusion_needs_an_ordinary_day_and_the_recorded_release(
    fresh_db: DatabaseUrl,
) -> None:
    """code_only_exclusion with the project's own manifest: a full-test day builds everything,
    an ordinary day leaves the code-only nodes out once their release is recorded and built."""
    from orchestration.defs.daily import daily_dbt_nodes, record_release
    from orchestration.defs.dbt import load_manifest
    from orchestration.defs.project import loadable_project

    manifest = load_manifest(loadable_project(fresh_db).manifest_path)
    today = datetime.now(UTC)
    assert code_only_exclusion(fresh_db, manifest, today) == []  # nothing recorded yet
    built = code_only_nodes(manifest, daily_dbt_nodes(manifest))
    # stand-ins for the built relations (the test checks the bookkeeping, not dbt)
    with connection(fresh_db) as conn, conn.cursor() as cur:
        for uid in sorted(built):
            node = manifest["nodes"][uid]
            cur.execute(f'create schema if not exists "{node["schema"]}"')
            cur.execute(f'create table "{node["schema"]}"."{node.get("alias") or node["name"]}" ()')
    assert record_release(fresh_db, manifest, _results(*built))
    assert code_only_exclusion(fresh_db, manifest, today) == ["--exclude", CODE_ONLY]
    assert code_only_exclusion(fresh_db, manifest, None) == []  # a day that tests every row
