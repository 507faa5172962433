"""Code-only dbt nodes on an ordinary day (issue 17 item 3): built when the release changes.

A view and a seed hold no data of their own: a view reads the tables under it at query time (a
rebuilt table takes its views along, ``repoint_dependent_views``), a seed is a file of the
project. Re-creating them every day only repeats what the last build did, and each dbt node costs
the daily run ~50 ms of dbt's own CPU whatever it does (~70 view and seed nodes, their ~230 tests,
the unit tests: a quarter of the daily build at 1M orders, measured in docs/benchmarks.md).

**The release.** :func:`release_fingerprint` digests what decides those nodes: every node's and
unit test's definition in the manifest (file checksum, config, descriptions, columns), every
macro of the project and ``dbt_project.yml`` (its vars), and dbt's version. A run that built every
view and seed of the daily selection successfully records it in ``raw_app.dbt_release``
(:func:`record_if_built`, migration 0017), in the same database as the relations.

**The daily run** (orchestration/defs/daily.py) leaves the views, the seeds, their tests and the
unit tests out (``--exclude`` :data:`CODE_ONLY`) only on an ordinary day (its data tests read the
changed rows) when the recorded release is this one and every view and seed of the selection
exists (:func:`release_is_built`). Otherwise (a new release, a missing relation, the first run,
each Monday's run that tests every row, a run tagged ``hotrod/tests=full``) it builds them all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from warehouse.connection import connection
from warehouse.settings import DatabaseUrl

# dbt's selector of the code-only nodes (a union); eager indirect selection drops their tests too
CODE_ONLY = "config.materialized:view resource_type:seed resource_type:unit_test"
RELEASE_TABLE = "raw_app.dbt_release"
# what a node is defined by; not depends_on.macros, which dbt fills in as it compiles a node (a run
# that leaves a node out writes a manifest without them): every project macro is digested instead
_NODE_FIELDS = ("checksum", "config", "description", "columns", "test_metadata")


def code_only_nodes(manifest: Mapping[str, Any], nodes: Iterable[str]) -> set[str]:
    """The views and seeds among ``nodes`` (unique ids)."""
    found = set()
    for uid in nodes:
        node = manifest["nodes"][uid]
        if node["resource_type"] == "seed" or node["config"].get("materialized") == "view":
            found.add(uid)
    return found


def release_fingerprint(manifest: Mapping[str, Any], project_dir: Path) -> str:
    """A digest of the dbt project as built: nodes, unit tests, the project's macros, its
    dbt_project.yml and dbt's version (generation times and invocation ids left out)."""
    project = manifest["metadata"].get("project_name", "hotrod")
    digest = hashlib.sha256()

    def add(value: Any) -> None:
        digest.update(json.dumps(value, sort_keys=True, default=str).encode())
        digest.update(b"\0")

    add(manifest["metadata"].get("dbt_version"))
    for uid in sorted(manifest["nodes"]):
        node = manifest["nodes"][uid]
        parents = (node.get("depends_on") or {}).get("nodes")
        add([uid, parents, *(node.get(field) for field in _NODE_FIELDS)])
    for uid in sorted(manifest.get("unit_tests", {})):
        test = manifest["unit_tests"][uid]
        add([uid, test.get("given"), test.get("expect"), test.get("overrides"), test.get("model")])
    for uid in sorted(manifest["macros"]):
        macro = manifest["macros"][uid]
        if macro.get("package_name") == project:
            add([uid, macro.get("macro_sql")])
    add((project_dir / "dbt_project.yml").read_text())
    return digest.hexdigest()


def _relations(manifest: Mapping[str, Any], nodes: Iterable[str]) -> list[str]:
    """``"schema"."name"`` of each node, quoted for to_regclass (the manifest's relation_name
    names the database it was parsed for, which may not be this one)."""
    names = []
    for uid in sorted(nodes):
        node = manifest["nodes"][uid]
        schema, name = node["schema"], node.get("alias") or node["name"]
        names.append('"{}"."{}"'.format(schema.replace('"', '""'), name.replace('"', '""')))
    return names


def release_is_built(
    url: DatabaseUrl, manifest: Mapping[str, Any], nodes: Iterable[str], fingerprint: str
) -> bool:
    """True when the recorded release is ``fingerprint`` and every view and seed among
    ``nodes`` exists in the warehouse."""
    project = manifest["metadata"].get("project_name", "hotrod")
    relations = _relations(manifest, code_only_nodes(manifest, nodes))
    with connection(url) as conn, conn.cursor() as cur:
        cur.execute("select to_regclass(%s) is not null", (RELEASE_TABLE,))
        if not cur.fetchone()[0]:
            return False
        cur.execute(
            f"select fingerprint from {RELEASE_TABLE} where project_name = %s",  # noqa: S608
            (project,),
        )
        row = cur.fetchone()
        if row is None or row[0] != fingerprint:
            return False
        cur.execute(
            "select count(*) from unnest(%s::text[]) as r(name) where to_regclass(r.name) is null",
            (relations,),
        )
        return cur.fetchone()[0] == 0


def record_if_built(
    url: DatabaseUrl,
    manifest: Mapping[str, Any],
    nodes: Iterable[str],
    run_results: Mapping[str, Any],
    project_dir: Path,
) -> bool:
    """Record the release (:func:`release_fingerprint`) when the run (its run_results) built
    every view and seed among ``nodes`` successfully; the fingerprint is computed only then (a
    real-time run, tables only, pays one set comparison). Returns whether it did."""
    wanted = code_only_nodes(manifest, nodes)
    built = {r["unique_id"] for r in run_results.get("results", []) if r.get("status") == "success"}
    if not wanted or not wanted <= built:
        return False
    fingerprint = release_fingerprint(manifest, project_dir)
    project = manifest["metadata"].get("project_name", "hotrod")
    with connection(url) as conn, conn.cursor() as cur:
        cur.execute(
            f"insert into {RELEASE_TABLE} (project_name, fingerprint) values (%s, %s)"  # noqa: S608
            " on conflict (project_name) do update"
            " set fingerprint = excluded.fingerprint, recorded_at = now()",
            (project, fingerprint),
        )
    return True
