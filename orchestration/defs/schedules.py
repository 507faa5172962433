"""Jobs and schedules (SPEC §6), built from dbt selections by model name.

Each scheduled job runs its models with everything upstream (staging, intermediate, and the
extraction of the raw tables they read) and everything downstream (the views that read them).
The daily 02:00 UTC job also takes every asset no other schedule covers, so every asset is
scheduled. Models that are not (yet) in the dbt project are left out of the selection.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg
from dagster_dbt import build_dbt_asset_selection

from orchestration.defs import maintenance


@dataclass(frozen=True)
class Cadence:
    name: str
    cron: str
    models: tuple[str, ...]
    description: str


# SPEC §6. Times are UTC.
CADENCES = (
    Cadence("sku_performance_hourly", "0 * * * *", ("sku_performance",), "Hourly: sku_performance"),
    Cadence(
        "core_tables_daily",
        "0 2 * * *",
        (
            "sales_metrics_daily",
            "inventory_snapshots",
            "shop_activation_metrics",
            "operator_sla_resolution",
        ),
        "Daily 02:00 UTC: the daily core tables, and every asset no other schedule covers",
    ),
    Cadence(
        "segments_categories_weekly",
        "0 3 * * 1",
        ("customer_segments", "product_categories"),
        "Weekly (Monday 03:00 UTC): customer_segments and product_categories",
    ),
    Cadence(
        "growth_monthly",
        "0 4 1 * *",
        ("v_growth_milestones", "v_growth_rates", "v_kpi_summary"),
        "Monthly (1st, 04:00 UTC): growth milestones",
    ),
)
REALTIME_MODELS = ("fulfillment_tracking", "cx_conversations")
BACKUP_CRON = "30 1 * * *"  # before the 02:00 build
RETENTION_CRON = "0 2 * * *"  # the documents' 02:00 UTC, beside the daily build
MATERIALIZE_ALL = "materialize_all"
REALTIME_JOB = "realtime_fulfillment_cx"
DAILY = "core_tables_daily"


def default_status() -> dg.DefaultScheduleStatus:
    """Schedules and the sensor start stopped unless HOTROD_SCHEDULES=running."""
    running = os.environ.get("HOTROD_SCHEDULES", "").strip().lower() == "running"
    return dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED


def dbt_selection(
    dbt_assets: dg.AssetsDefinition, models: Iterable[str], existing: set[str]
) -> dg.AssetSelection | None:
    present = [m for m in models if m in existing]
    if not present:
        return None
    select = " ".join(f"+{m}+" for m in present)
    return build_dbt_asset_selection([dbt_assets], dbt_select=select)


def with_extraction(selection: dg.AssetSelection) -> dg.AssetSelection:
    """The selection plus the extraction assets upstream of it (exposures are not runnable)."""
    return (selection | selection.upstream()).materializable()


def build_jobs_and_schedules(
    dbt_assets: dg.AssetsDefinition, existing_models: set[str]
) -> tuple[Sequence[Any], list[dg.ScheduleDefinition]]:
    status = default_status()
    selections: dict[str, dg.AssetSelection] = {}
    for cadence in CADENCES:
        dbt_sel = dbt_selection(dbt_assets, cadence.models, existing_models)
        selections[cadence.name] = (
            with_extraction(dbt_sel) if dbt_sel is not None else dg.AssetSelection.assets()
        )
    realtime = dbt_selection(dbt_assets, REALTIME_MODELS, existing_models)
    realtime = realtime if realtime is not None else dg.AssetSelection.assets()

    covered = realtime
    for name, sel in selections.items():
        if name != DAILY:
            covered = covered | sel
    everything = dg.AssetSelection.all().materializable()
    selections[DAILY] = selections[DAILY] | (everything - covered)

    jobs: list = [
        dg.define_asset_job(
            MATERIALIZE_ALL,
            selection=everything,
            description="Every asset once: extract all sources, then dbt build.",
        ),
        dg.define_asset_job(
            REALTIME_JOB,
            selection=realtime,
            description="Near-real-time refresh of fulfillment_tracking and cx_conversations "
            "(triggered by the webhook sensor).",
        ),
    ]
    schedules = []
    for cadence in CADENCES:
        job = dg.define_asset_job(
            cadence.name, selection=selections[cadence.name], description=cadence.description
        )
        jobs.append(job)
        schedules.append(
            dg.ScheduleDefinition(
                name=f"{cadence.name}_schedule",
                job=job,
                cron_schedule=cadence.cron,
                execution_timezone="UTC",
                default_status=status,
                description=cadence.description,
            )
        )
    jobs += [maintenance.backup_job, maintenance.retention_job]
    schedules += [
        dg.ScheduleDefinition(
            name="warehouse_backup_schedule",
            job=maintenance.backup_job,
            cron_schedule=BACKUP_CRON,
            execution_timezone="UTC",
            default_status=status,
            description="Daily verified backup",
        ),
        dg.ScheduleDefinition(
            name="retention_schedule",
            job=maintenance.retention_job,
            cron_schedule=RETENTION_CRON,
            execution_timezone="UTC",
            default_status=status,
            description="Daily retention (decision archive, sync logs, access audit)",
        ),
    ]
    return jobs, schedules
