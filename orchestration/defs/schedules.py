"""Jobs and schedules (SPEC §6), built from dbt selections by model name.

Each cadence covers its models with everything upstream (staging, intermediate, and the
extraction of the raw tables they read) and everything downstream (the views that read them).
The daily 02:00 UTC cadence also takes every asset no other schedule covers, so every asset is
scheduled. Models that are not (yet) in the dbt project are left out of the selection.

Per shop (issue 17): a cadence's schedule starts one run of ``extract_shop`` per shop partition
(tags ``shop`` and ``hotrod/cadence``, only the raw tables the cadence reads), and the cadence's
own job (the app extraction and dbt, warehouse-wide) is started by ``shops_landed_sensor``
(``defs/shop_builds.py``) once a shop has landed. dbt stays unpartitioned: its models are
set-based over every shop (cross-shop marts, table models rebuilt whole), and a per-shop build
would rerun every model and test once per shop.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg
from dagster_dbt import build_dbt_asset_selection

from orchestration.defs import maintenance
from orchestration.defs.shops import SHOP_TAG


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
# Issue 17: the real-time job refreshes only what the tiles over those two tables need, on the
# path from the raw tables webhooks change to the tiles' report tables. Views are not rebuilt
# (they read their tables live); tables fed only by daily data (catalog, shops, shipments) wait
# for the daily run.
REALTIME_SOURCES = (
    "raw_shopify.orders",
    "raw_shopify.customers",
    "raw_chatwoot.conversations",
    "raw_chatwoot.messages",
    "raw_chatwoot.contacts",
)
REALTIME_TILES = (
    "rpt_fulfillment_health",
    "rpt_fulfillment_issues",
    "rpt_cx_health",
    "rpt_cx_escalations",
    "rpt_sla_resolution",
)
BACKUP_CRON = "30 1 * * *"  # before the 02:00 build
RETENTION_CRON = "0 2 * * *"  # the documents' 02:00 UTC, beside the daily build
MATERIALIZE_ALL = "materialize_all"
REALTIME_JOB = "realtime_fulfillment_cx"
# Issue 17: the real-time job's data tests run in a job of their own, started by the webhook
# sensor after each successful real-time run; the next real-time run does not wait for them.
REALTIME_CHECKS_JOB = "realtime_fulfillment_cx_checks"
CHECKS_FOR_TAG = "hotrod/checks_for"  # the real-time run a checks run follows
CHECKS_UNTIL_TAG = "hotrod/checks_until"  # that run's end: what the next checks run reads after
DAILY = "core_tables_daily"
EXTRACT_SHOP = "extract_shop"
CADENCE_TAG = "hotrod/cadence"


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


def realtime_selection(
    dbt_assets: dg.AssetsDefinition, existing: set[str]
) -> dg.AssetSelection | None:
    """Issue 17: the models between the webhook-fed raw tables and the real-time tiles (dbt
    intersections ``source:X+,+tile``), the two real-time tables always among them; views
    left out. Their dbt tests come along as asset checks."""
    tiles = [m for m in (*REALTIME_MODELS, *REALTIME_TILES) if m in existing]
    if not tiles:
        return None
    select = " ".join(f"source:{src}+,+{tile}" for src in REALTIME_SOURCES for tile in tiles)
    return build_dbt_asset_selection(
        [dbt_assets], dbt_select=select, dbt_exclude="config.materialized:view"
    )


def with_extraction(
    selection: dg.AssetSelection, dbt_assets: dg.AssetsDefinition
) -> dg.AssetSelection:
    """The selection plus the extraction assets upstream of it (exposures are not runnable).

    Never another dbt model: a model downstream of the cadence's also reads models of other
    cadences, and those keep their own (issue 17: the hourly and daily jobs rebuilt the weekly
    customer_segments and product_categories through `rpt_data_completeness_metrics`)."""
    extraction = (selection.upstream(depth=1) - dg.AssetSelection.assets(dbt_assets)).upstream()
    return (selection | extraction).materializable()


@dataclass(frozen=True)
class Plan:
    """What a cadence runs: per-shop extraction runs, then its warehouse-wide job."""

    cadence: str
    shop_keys: tuple[dg.AssetKey, ...]  # raw tables extracted per shop partition (may be empty)


def shop_run_requests(
    plan: Plan, shops: Sequence[str], tick: str
) -> list[dg.RunRequest] | dg.SkipReason:
    """One run of `extract_shop` per shop: only the raw tables the cadence reads."""
    if not shops:
        return dg.SkipReason("no shop is configured (SHOPIFY_SHOP)")
    return [
        dg.RunRequest(
            run_key=f"{plan.cadence}:{tick}:{shop}",
            partition_key=shop,
            asset_selection=list(plan.shop_keys),
            tags={SHOP_TAG: shop, CADENCE_TAG: plan.cadence},
        )
        for shop in shops
    ]


def _shop_schedule(
    plan: Plan, cadence: Cadence, job: Any, shops: Sequence[str], status: dg.DefaultScheduleStatus
) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=f"{cadence.name}_schedule",
        job=job,
        cron_schedule=cadence.cron,
        execution_timezone="UTC",
        default_status=status,
        description=f"{cadence.description}: one extraction run per shop, then the build",
    )
    def _schedule(context: dg.ScheduleEvaluationContext):
        tick = context.scheduled_execution_time.strftime("%Y-%m-%dT%H:%M")
        return shop_run_requests(plan, shops, tick)

    return _schedule


def build_jobs_and_schedules(
    dbt_assets: dg.AssetsDefinition,
    existing_models: set[str],
    raw_for: Callable[[Sequence[str]], set[dg.AssetKey]] | None = None,
    shop_keys: Sequence[dg.AssetKey] = (),
    shops: dg.StaticPartitionsDefinition | None = None,
) -> tuple[Sequence[Any], list[dg.ScheduleDefinition], list[Plan]]:
    """Jobs, schedules and the per-shop plans. With ``raw_for`` (the raw tables a list of
    models reads, up- and downstream) and ``shop_keys`` (the raw tables partitioned by shop),
    cadences extract per shop; the daily one every per-shop table (it covers every asset no
    other schedule does)."""
    status = default_status()
    selections: dict[str, dg.AssetSelection] = {}
    for cadence in CADENCES:
        dbt_sel = dbt_selection(dbt_assets, cadence.models, existing_models)
        selections[cadence.name] = (
            with_extraction(dbt_sel, dbt_assets)
            if dbt_sel is not None
            else dg.AssetSelection.assets()
        )
    realtime = realtime_selection(dbt_assets, existing_models)
    realtime = realtime if realtime is not None else dg.AssetSelection.assets()

    covered = realtime
    for name, sel in selections.items():
        if name != DAILY:
            covered = covered | sel
    everything = dg.AssetSelection.all().materializable()
    selections[DAILY] = selections[DAILY] | (everything - covered)
    per_shop = dg.AssetSelection.assets(*shop_keys)
    plans: dict[str, Plan] = {}
    for cadence in CADENCES:
        if raw_for is None or not shop_keys:
            break
        keys = set(shop_keys) if cadence.name == DAILY else raw_for(cadence.models)
        mine = tuple(sorted((k for k in shop_keys if k in keys), key=str))
        if mine:
            plans[cadence.name] = Plan(cadence.name, mine)
            selections[cadence.name] = selections[cadence.name] - per_shop
    shop_names = shops.get_partition_keys() if shops is not None else []

    jobs: list = [
        dg.define_asset_job(
            MATERIALIZE_ALL,
            selection=everything,
            description="Every asset once: extract all sources, then dbt build.",
        ),
        dg.define_asset_job(
            REALTIME_JOB,
            selection=realtime.without_checks(),
            description="Near-real-time refresh of fulfillment_tracking and cx_conversations "
            "(triggered by the webhook sensor; their checks run in "
            f"{REALTIME_CHECKS_JOB}).",
            # issue 17: one dbt op, run in the run worker itself: no second (step) process to
            # start, import Dagster and load the definitions again before dbt begins
            executor_def=dg.in_process_executor,
        ),
        dg.define_asset_job(
            REALTIME_CHECKS_JOB,
            selection=realtime & dg.AssetSelection.all_asset_checks(),
            description=f"The checks of {REALTIME_JOB}'s assets (dbt data tests and the others), "
            "started by the webhook sensor after each successful real-time run; they read the "
            "rows the real-time runs wrote since the last successful run of this job.",
            executor_def=dg.in_process_executor,
        ),
    ]
    schedules = []
    extract_shop = None
    if plans:
        extract_shop = dg.define_asset_job(
            EXTRACT_SHOP,
            selection=per_shop,
            partitions_def=shops,
            description="One shop's extraction (Shopify, Chatwoot, GA4): a partition per shop; "
            "the cadence schedules start one run per shop, backfills run per shop.",
        )
        jobs.append(extract_shop)
    for cadence in CADENCES:
        job = dg.define_asset_job(
            cadence.name,
            selection=selections[cadence.name],
            description=cadence.description
            + ("; started after the shops' extraction runs" if cadence.name in plans else ""),
        )
        jobs.append(job)
        if cadence.name in plans:
            schedules.append(
                _shop_schedule(plans[cadence.name], cadence, extract_shop, shop_names, status)
            )
            continue
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
    return jobs, schedules, list(plans.values())
