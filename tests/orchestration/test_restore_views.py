"""A table rebuild drops the views over it; the dbt asset recreates any that `dbt build` skipped."""

from __future__ import annotations

import logging

from dagster_dbt import DbtCliResource

from orchestration.defs.dbt import load_manifest, missing_views, restore_missing_views
from tests.support.dbt_runs import run_dbt_isolated
from warehouse.dbt_invocation import DBT_PROFILES_DIR, DBT_PROJECT_DIR, dbt_executable

VIEW = "v_ceo_time_savings_30d"


def test_views_dropped_by_a_rebuild_are_restored(fresh_db, tmp_path):
    built = run_dbt_isolated(fresh_db, ["build", "--select", f"+{VIEW}"], tmp_path)
    assert built.returncode == 0, built.stdout[-3000:]
    manifest = load_manifest(tmp_path / "target" / "manifest.json")
    assert VIEW not in missing_views(fresh_db, manifest)

    # Rebuilding only the table underneath drops the view (drop ... cascade of the old table).
    rebuilt = run_dbt_isolated(fresh_db, ["run", "--select", "ceo_time_savings"], tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stdout[-3000:]
    assert VIEW in missing_views(fresh_db, manifest)

    dbt = DbtCliResource(
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROFILES_DIR),
        dbt_executable=dbt_executable(),
    )
    restore_missing_views(dbt, fresh_db, manifest, logging.getLogger("test"), {VIEW})
    assert VIEW not in missing_views(fresh_db, manifest)
