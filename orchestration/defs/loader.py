"""Assemble the Definitions: called by Dagster when it loads the code location, not at import."""

from __future__ import annotations

import dagster as dg

from orchestration.defs import maintenance
from orchestration.defs.alerting import build_alert_sensor
from orchestration.defs.dbt import (
    build_dbt_assets,
    exposure_specs,
    load_manifest,
    model_names,
    raw_sources_for,
)
from orchestration.defs.extract import extraction_assets, per_shop_keys
from orchestration.defs.freshness import build_freshness_checks
from orchestration.defs.privacy import build_privacy_sensor, privacy_job
from orchestration.defs.project import loadable_project
from orchestration.defs.resources import ExtractionResource, WarehouseResource, dbt_resource
from orchestration.defs.schedules import (
    REALTIME_CHECKS_JOB,
    REALTIME_JOB,
    build_jobs_and_schedules,
    default_status,
)
from orchestration.defs.sensors import build_webhook_sensor
from orchestration.defs.shop_builds import build_shops_landed_sensor
from orchestration.defs.shops import shop_partitions
from orchestration.defs.tieout_checks import build_tieout_checks
from warehouse.connection import running_url
from warehouse.settings import env_int


def resources() -> dict[str, object]:
    return {
        "warehouse": WarehouseResource(),
        "extraction": ExtractionResource(),
        "dbt": dbt_resource(),
        "backup": maintenance.BackupResource(
            directory=dg.EnvVar("HOTROD_BACKUP_DIR").get_value("") or "",
            keep_days=env_int("HOTROD_BACKUP_KEEP_DAYS", 7, 1, 3650),
        ),
    }


def build_definitions() -> dg.Definitions:
    project = loadable_project(running_url())
    manifest_path = project.manifest_path
    manifest = load_manifest(manifest_path)
    dbt_assets = build_dbt_assets(project, manifest_path)
    shops = shop_partitions()
    assets = [*extraction_assets(shops), dbt_assets, *exposure_specs(manifest)]
    jobs, schedules, plans = build_jobs_and_schedules(
        dbt_assets,
        model_names(manifest),
        lambda models: raw_sources_for(manifest, models),
        per_shop_keys(),
        shops,
    )
    sensor_status = (
        dg.DefaultSensorStatus.RUNNING
        if default_status() == dg.DefaultScheduleStatus.RUNNING
        else dg.DefaultSensorStatus.STOPPED
    )
    return dg.Definitions(
        assets=assets,
        asset_checks=[*build_freshness_checks(manifest), *build_tieout_checks()],
        jobs=[*jobs, privacy_job],
        schedules=schedules,
        sensors=[
            build_webhook_sensor(
                [j for j in jobs if j.name in (REALTIME_JOB, REALTIME_CHECKS_JOB)],
                REALTIME_JOB,
                REALTIME_CHECKS_JOB,
                sensor_status,
            ),
            build_shops_landed_sensor(
                plans, [j for j in jobs if j.name in {p.cadence for p in plans}], sensor_status
            ),
            build_privacy_sensor(sensor_status),
            build_alert_sensor(sensor_status),
        ],
        resources=resources(),
    )
