"""The parts of a split read (``extract.PartRunner``) spread over processes: the first part in the
calling thread, each other part in a worker process of its own (``source_worker``), so that their
parsing, regrouping and landing run on separate cores.

A worker reads its part with a connection, an HTTP client and a memory budget of its own, and
hands back what it counted; the calling load adds it to its ledger row (the worker writes no
ledger row: the caller's claim covers the entity). A worker that fails leaves its part's state
where it stopped, and the next run resumes it.
"""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from extractors.errors import ApiError, ExtractError
from extractors.http import HttpClient, RetryPolicy
from extractors.ledger import LedgerRow
from extractors.load import EntityLoad
from extractors.progress import Progress
from extractors.settings import Settings
from extractors.shopify import queries, regroup
from extractors.shopify.client import ShopifyClient
from extractors.shopify.extract import ShopifyExtractor
from extractors.shopify.queries import EntityQuery
from extractors.source_worker import each_in_process
from warehouse.connection import connect
from warehouse.settings import DatabaseUrl

COUNTERS = ("rows_read", "rows_inserted", "rows_updated", "rows_quarantined")


@dataclass(frozen=True)
class PartJob:
    """What a worker needs to read parts of one shop's split read (picklable)."""

    url: DatabaseUrl
    settings: Settings
    shop: str
    batch_id: str
    lookback: timedelta
    batch_rows: int
    progress: bool
    memory_bytes: int | None  # this worker's bulk memory budget (None: regroup's default)
    policy: RetryPolicy | None = field(default=None)


@dataclass
class PartResult:
    """What a worker counted for its part, and its failure (one line) when it failed."""

    counts: dict[str, int]
    api_calls: int
    notes: str | None
    failure: str | None = None


def in_processes(job: PartJob):
    """A ``PartRunner`` reading the first pending part here and the others in processes."""
    return functools.partial(_run_parts, job)


def _run_parts(
    job: PartJob,
    extractor: ShopifyExtractor,
    entity: EntityQuery,
    load: EntityLoad,
    pending: list[str],
    new_rows: bool | None,
) -> None:
    here, away = pending[0], pending[1:]
    work = functools.partial(_read_part, job, entity.entity, new_rows)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="parts") as pool:
        future = pool.submit(each_in_process, work, away, lambda key: f"{job.shop} {key}")
        try:
            extractor.read_part(entity, load.part(here, new_rows))
        finally:
            outcomes = future.result()  # the other parts run to their end either way
    failures = []
    for result, failure in outcomes:
        if result is None or result.failure:
            failures.append(failure or (result.failure if result else None) or "a part failed")
        if result is None:
            continue
        for name in COUNTERS:
            setattr(load.ledger, name, getattr(load.ledger, name) + result.counts[name])
        load.stats.api_calls += result.api_calls
        if result.notes:
            load.note(result.notes)
    if failures:
        raise ApiError("; ".join(failures))


def _read_part(job: PartJob, entity_name: str, new_rows: bool | None, key: str) -> PartResult:
    """One part read in this (worker) process; what it counted back, with its failure (an
    ExtractError's line, naming the part) when it failed."""
    if job.memory_bytes is not None:
        regroup.BUDGET.set_limit(job.memory_bytes)
    cfg = job.settings.shopify()
    http = HttpClient(ShopifyClient.headers(cfg.access_token), job.policy)
    client = ShopifyClient(http, cfg.graphql_url(job.shop), bulk_max_wait_s=cfg.bulk_max_wait_s)
    extractor = ShopifyExtractor(client, lookback=job.lookback, batch_rows=job.batch_rows)
    entity = next(e for e in queries.ENTITIES if e.entity == entity_name)
    conn = connect(job.url)
    try:
        row = LedgerRow(job.batch_id, "shopify", job.shop, entity_name, mode="bulk")
        label = f"shopify {job.shop.split('.')[0]} {key}"
        load = EntityLoad(
            conn,
            row,
            f"raw_shopify.{entity_name}",
            http.stats,
            Progress(label, enabled=job.progress),
        ).part(key, new_rows)
        failure = None
        try:
            extractor.read_part(entity, load)
        except ExtractError as exc:
            conn.rollback()
            failure = f"{job.shop} {key}: {exc}"
        load.progress.done("failed" if failure else "done")
        counts = {name: getattr(row, name) for name in COUNTERS}
        return PartResult(counts, http.stats.api_calls, row.notes, failure)
    finally:
        conn.close()
        http.close()
