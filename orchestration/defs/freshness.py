"""dbt source freshness as asset checks on the raw (extraction) assets.

One ``dbt source freshness`` invocation per run evaluates every selected source with the
thresholds and ``loaded_at_field`` declared in the dbt project; each source's status becomes a
check result (warn -> WARN severity, error -> ERROR severity).
"""

import json
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.defs.dbt import translator
from orchestration.defs.resources import WarehouseResource
from warehouse.dbt_invocation import run_dbt
from warehouse.settings import DatabaseUrl

CHECK_NAME = "source_freshness"


def _freshness(source: Mapping[str, Any]) -> Mapping[str, Any] | None:
    fresh = source.get("freshness") or (source.get("config") or {}).get("freshness") or {}
    has_threshold = any(
        (fresh.get(level) or {}).get("count") for level in ("warn_after", "error_after")
    )
    loaded_at = source.get("loaded_at_field") or source.get("loaded_at_query")
    loaded_at = loaded_at or (source.get("config") or {}).get("loaded_at_field")
    return fresh if has_threshold and loaded_at else None


def fresh_sources(manifest: Mapping[str, Any]) -> dict[dg.AssetKey, str]:
    """Asset key -> dbt selector (`source:name.table`) for every source with a freshness rule."""
    tr = translator()
    out = {}
    for source in manifest.get("sources", {}).values():
        if _freshness(source) is not None:
            selector = f"source:{source['source_name']}.{source['name']}"
            out[tr.get_asset_key(source)] = selector
    return out


def _run_freshness(url: DatabaseUrl, selectors: list[str]) -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="hotrod-freshness-") as target:
        out = run_dbt(
            url,
            ["source", "freshness", "--select", *selectors],
            check=False,
            target_path=target,
            capture=True,
        )
        results_file = Path(target) / "sources.json"
        if not results_file.exists():
            tail = (out.stdout + out.stderr).strip().splitlines()[-5:]
            raise RuntimeError("dbt source freshness produced no results: " + " | ".join(tail))
        results = json.loads(results_file.read_text())["results"]
    return {result["unique_id"]: result for result in results}


def build_freshness_checks(manifest: Mapping[str, Any]) -> list[dg.AssetChecksDefinition]:
    selectors = fresh_sources(manifest)
    if not selectors:
        return []
    tr = translator()
    uid_by_key = {
        tr.get_asset_key(s): s["unique_id"]
        for s in manifest.get("sources", {}).values()
        if tr.get_asset_key(s) in selectors
    }
    specs = [
        dg.AssetCheckSpec(
            name=CHECK_NAME,
            asset=key,
            description="dbt source freshness (thresholds, loaded_at_field from the sources YAML)",
        )
        for key in selectors
    ]

    @dg.multi_asset_check(specs=specs, can_subset=True, name="dbt_source_freshness")
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[dg.AssetCheckResult]:
        keys = [k.asset_key for k in context.selected_asset_check_keys]
        results = _run_freshness(warehouse.url(), [selectors[k] for k in keys])
        for key in keys:
            result = results.get(uid_by_key[key])
            if result is None:
                yield dg.AssetCheckResult(
                    asset_key=key,
                    check_name=CHECK_NAME,
                    passed=False,
                    description="dbt reported no freshness result for this source",
                )
                continue
            status = result.get("status", "runtime error")
            severity = dg.AssetCheckSeverity.ERROR
            if status == "warn":
                severity = dg.AssetCheckSeverity.WARN
            age = result.get("max_loaded_at_time_ago_in_s")
            yield dg.AssetCheckResult(
                asset_key=key,
                check_name=CHECK_NAME,
                passed=status == "pass",
                severity=severity,
                metadata={
                    "status": status,
                    "max_loaded_at": str(result.get("max_loaded_at")),
                    "age_seconds": float(age) if age is not None else -1.0,
                    **({"error": str(result["error"])[:500]} if result.get("error") else {}),
                },
            )

    return [_check]
