"""dbt models, seeds and tests as Dagster assets and checks; exposures as external assets.

Keys: a dbt source maps to ``[schema, table]`` (the extraction asset that lands it), a model or
seed to ``[layer, name]`` (layer = staging/intermediate/marts/seeds). Groups follow the folder
layout: ``staging_shopify``, ``intermediate_sales``, ``marts_cx``... dbt tests become asset checks;
``dbt build`` skips everything downstream of a failing error-severity test, and Dagster records
the skipped assets as not materialized.
"""

import filecmp
import json
import shutil
import time
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from orchestration.defs.daily import record_release, run_exclusion, run_tests_env, walk
from orchestration.defs.project import target_dir
from orchestration.defs.resources import WarehouseResource
from warehouse.dbt_invocation import dbt_environment
from warehouse.settings import patched_environ

LAYERS = ("staging", "intermediate", "marts")
# reports and contract models keep [schema, name] keys; their groups follow their folders
GROUP_LAYERS = (*LAYERS, "reports", "contract")
DBT_ASSETS_NAME = "hotrod_dbt"


def _layer(props: Mapping[str, Any]) -> str:
    if props["resource_type"] == "seed":
        return "seeds"
    if props["resource_type"] == "snapshot":
        return "snapshots"
    fqn = props.get("fqn") or []
    if len(fqn) > 2 and fqn[1] in LAYERS:
        return fqn[1]
    return props.get("schema") or "models"


def _domain(props: Mapping[str, Any]) -> str | None:
    fqn = props.get("fqn") or []
    # fqn: [project, layer, domain..., name]
    return fqn[2] if len(fqn) > 3 and fqn[1] in GROUP_LAYERS else None


class HotrodTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        props = dbt_resource_props
        if props["resource_type"] == "source":
            return dg.AssetKey([props["schema"], props.get("identifier") or props["name"]])
        return dg.AssetKey([_layer(props), props.get("alias") or props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn") or []
        layer = fqn[1] if len(fqn) > 2 and fqn[1] in GROUP_LAYERS else _layer(dbt_resource_props)
        domain = _domain(dbt_resource_props)
        return f"{layer}_{domain}" if domain else layer


def translator() -> HotrodTranslator:
    return HotrodTranslator(
        settings=DagsterDbtTranslatorSettings(
            enable_asset_checks=True, enable_source_tests_as_checks=True
        )
    )


def build_dbt_assets(project: DbtProject, manifest_path: Path) -> dg.AssetsDefinition:
    manifest = load_manifest(manifest_path)

    @dbt_assets(
        manifest=manifest_path,
        project=project,
        dagster_dbt_translator=translator(),
        name=DBT_ASSETS_NAME,
    )
    def _dbt(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
    ) -> Iterator[Any]:
        prune_invocation_dirs()
        url = warehouse.url()
        # the daily run's data tests read the changed rows only (defs/daily.py)
        tests_set, tests_unset = run_tests_env(context)
        # on an ordinary day, views, seeds and unit tests of the release built already stay out
        leave_out = run_exclusion(context, url, manifest, tests_set)
        # One `dbt build` of the run's subset: each model's data tests before what reads it. The
        # real-time job selects no check, so dagster-dbt builds its models only (indirect
        # selection off); their tests run in the checks job the webhook sensor starts after it.
        with dbt_environment(url, target_dir()), patched_environ(tests_set, tests_unset):
            invocation = dbt.cli(["build", *leave_out], context=context)
        # A rebuilt table takes its views along in the same transaction (dbt post-hook
        # repoint_dependent_views), so no view is ever missing, even when a test fails.
        yield from invocation.stream()
        # the manifest the exclusion was decided on: the recorded release is compared with it
        record_release(url, manifest, invocation.get_artifact("run_results.json"))
        keep_partial_parse(invocation.target_path)

    return _dbt


PARTIAL_PARSE = "partial_parse.msgpack"


def keep_partial_parse(invocation_target: Path) -> bool:
    """Issue 17: make the parse state a run left the one the next run starts from.

    dagster-dbt copies ``partial_parse.msgpack`` from Dagster's target folder into each run's own
    folder, and dbt writes the state it parsed there. When that state is newer (the project or
    the connection changed since the prepared parse), it replaces the shared one (atomically),
    so only the first run after a change re-parses, never every run."""
    produced = Path(invocation_target) / PARTIAL_PARSE
    shared = target_dir() / PARTIAL_PARSE
    if not produced.exists():
        return False
    if shared.exists() and (
        shared.stat().st_mtime >= produced.stat().st_mtime
        or filecmp.cmp(shared, produced, shallow=False)
    ):
        return False
    staging = shared.with_name(f".{PARTIAL_PARSE}.{produced.parent.name}")
    shutil.copy2(produced, staging)
    staging.replace(shared)
    return True


def prune_invocation_dirs(max_age_s: float = 86400) -> None:
    """Per-invocation dbt target folders (one per run step) are kept a day, then removed."""
    root = target_dir()
    if not root.exists():
        return
    cutoff = time.time() - max_age_s
    for path in root.iterdir():
        if (
            path.is_dir()
            and path.name.startswith(DBT_ASSETS_NAME)
            and path.stat().st_mtime < cutoff
        ):
            shutil.rmtree(path, ignore_errors=True)


@cache
def _read_manifest(path: str, mtime: float) -> dict[str, Any]:
    del mtime  # part of the cache key only
    return json.loads(Path(path).read_text())


def load_manifest(path: Path) -> dict[str, Any]:
    return _read_manifest(str(path), path.stat().st_mtime)


def exposure_specs(manifest: Mapping[str, Any]) -> list[dg.AssetSpec]:
    """Each dbt exposure (dashboard tile, export) as an external asset fed by its models."""
    tr = translator()
    specs = []
    for exposure in manifest.get("exposures", {}).values():
        deps = []
        for node_id in exposure.get("depends_on", {}).get("nodes", []):
            props = manifest.get("nodes", {}).get(node_id) or manifest.get("sources", {}).get(
                node_id
            )
            if props is not None:
                deps.append(tr.get_asset_key(props))
        owner = exposure.get("owner") or {}
        link = exposure.get("url")
        specs.append(
            dg.AssetSpec(
                key=dg.AssetKey(["exposures", exposure["name"]]),
                deps=deps,
                group_name="exposures",
                kinds={exposure.get("type") or "exposure"},
                description=exposure.get("description") or exposure.get("label"),
                owners=[owner["email"]] if owner.get("email") else [],
                metadata={
                    "dbt/exposure": exposure["unique_id"],
                    **({"url": dg.MetadataValue.url(link)} if link else {}),
                },
            )
        )
    return specs


def model_names(manifest: Mapping[str, Any]) -> set[str]:
    return {
        node["name"]
        for node in manifest.get("nodes", {}).values()
        if node["resource_type"] in ("model", "seed", "snapshot")
    }


def raw_sources_for(manifest: Mapping[str, Any], models: Iterable[str]) -> set[dg.AssetKey]:
    """The raw tables (dbt sources, as asset keys) a cadence reads: the sources upstream of the
    models, of everything downstream of them, and of those (what ``+model+`` and its upstream
    select), found by walking the manifest's maps (no dbt selector: cheap at load time)."""
    wanted = set(models)
    nodes = manifest.get("nodes", {})
    parents, children = manifest.get("parent_map", {}), manifest.get("child_map", {})
    start = [uid for uid, n in nodes.items() if n.get("name") in wanted]
    down = walk(start, children)
    up = walk(down, parents)
    tr = translator()
    sources = manifest.get("sources", {})
    return {tr.get_asset_key(sources[uid]) for uid in up if uid in sources}
