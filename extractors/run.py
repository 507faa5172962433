"""Python entry points (used by the CLI and by Dagster): extract one entity, a source, or all.

Each call lands its records, keeps the extract state and writes one load-ledger row per shop and
entity. Credentials come from ``Settings`` (read once at the edge), never from here.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

from extractors import ledger
from extractors.app.client import AppClient
from extractors.app.extract import ENTITIES as APP_ENTITIES
from extractors.app.extract import extract_app_entity
from extractors.chatwoot.client import ChatwootClient
from extractors.chatwoot.extract import ChatwootExtractor
from extractors.errors import ApiUnavailableError, ConfigError, ExtractError
from extractors.ga4 import ENTITIES as GA4_ENTITIES
from extractors.http import CallStats, HttpClient, RetryPolicy
from extractors.ledger import LedgerRow
from extractors.load import CommitHook, EntityLoad
from extractors.progress import Progress
from extractors.settings import Settings
from extractors.shopify import access, parts, queries, regroup
from extractors.shopify.client import ShopifyClient
from extractors.shopify.extract import (
    BATCH_ROWS,
    BULK_INCREMENT_AFTER,
    PAGE_SIZE,
    SPLIT_PARTS,
    PartRunner,
    ShopifyExtractor,
    parts_here,
)
from extractors.source_worker import each_in_process
from warehouse import provenance
from warehouse.connection import connect
from warehouse.settings import DatabaseUrl

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

SHOPIFY_ENTITIES = ("shops",) + tuple(e.entity for e in queries.ENTITIES)
# messages ride along with conversations
# the two long reads first: they run side by side (CHATWOOT_PARALLEL_ENTITIES)
CHATWOOT_ENTITIES = ("conversations", "contacts", "agents", "inboxes", "csat_survey_responses")
SOURCES: dict[str, tuple[str, ...]] = {
    "shopify": SHOPIFY_ENTITIES,
    "chatwoot": CHATWOOT_ENTITIES,
    "app": tuple(APP_ENTITIES),
    "ga4": GA4_ENTITIES,
}
PRIMARY_VARIABLE = {
    "shopify": "SHOPIFY_SHOP",
    "chatwoot": "CHATWOOT_URL",
    "app": "HOTROD_APP_API_URL",
    "ga4": "GA4_PROPERTY_ID",
}
SCHEMAS = {"shopify": "raw_shopify", "chatwoot": "raw_chatwoot", "app": "raw_app", "ga4": "raw_ga4"}
GA4_LOOKBACK_DAYS = 3  # GA revises the last ~72 hours: never less, whatever --lookback says
# Shopify entities extracted at once per run: each holds at most one bulk query per shop, and
# Shopify runs up to 5 bulk queries per app and shop at the same time (API 2026-01 and later)
SHOPIFY_PARALLEL_ENTITIES = 5
# Chatwoot: conversations (with their messages) and the contacts, the two long reads, side by
# side (issue 17: one after the other they were most of a daily extraction at 1M orders)
CHATWOOT_PARALLEL_ENTITIES = 2
PARALLEL_ENTITIES = {"shopify": SHOPIFY_PARALLEL_ENTITIES, "chatwoot": CHATWOOT_PARALLEL_ENTITIES}
# extract_all: Shopify's shops in processes of their own, at most this many (shops past it share
# them): a first load's bulk results are most of the records a run parses, one interpreter lock
# per shop lets them use the machine's cores
SHOPIFY_PROCESSES = 4


@dataclass
class RunOptions:
    full: bool = False
    since: str | None = None  # ISO timestamp: increments start here instead of the cursor
    lookback: timedelta = timedelta(hours=1)
    progress: bool = True
    batch_id: str = field(default_factory=lambda: new_batch_id())
    policy: RetryPolicy | None = None
    on_commit: CommitHook | None = None  # test hook: called after every committed batch
    # records per committed batch (a Shopify bulk result's, Chatwoot's conversation pages')
    batch_rows: int = BATCH_ROWS
    # a Shopify increment larger than this continues as a bulk operation (not cost-throttled)
    bulk_increment_after: int = BULK_INCREMENT_AFTER
    page_size: int = PAGE_SIZE  # records per page of a Shopify increment
    # extract_all: each source in its own process (parsing on separate cores); threads when
    # False or when an on_commit hook must run in this process
    processes: bool = True
    # only these shops (Dagster's per-shop partitions); None: every configured shop
    shops: tuple[str, ...] | None = None
    # processes holding bulk results side by side: each takes this share of the memory budget
    bulk_memory_parts: int = 1

    def for_shops(self, pairs: Sequence[T], shop_of: Callable[[T], str]) -> list[T]:
        """The configured shops/accounts/properties this run covers (all when ``shops`` is None)."""
        if self.shops is None:
            return list(pairs)
        return [pair for pair in pairs if shop_of(pair) in self.shops]


def configured_sources(settings: Settings) -> list[str]:
    """The sources whose primary setting is set (the others are absent, never stood in for)."""
    return [source for source in SOURCES if settings.env.get(PRIMARY_VARIABLE[source], "").strip()]


def check_config(settings: Settings, source: str) -> None:
    """Raise ConfigError (naming the variable) when the source is not fully configured."""
    if source not in SOURCES:
        raise ExtractError(f"unknown source {source!r}: choose from {', '.join(SOURCES)}")
    {
        "shopify": settings.shopify,
        "chatwoot": settings.chatwoot,
        "app": settings.app,
        "ga4": settings.ga4,
    }[source]()


def new_batch_id() -> str:
    return f"run-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def extract_entity(
    url: DatabaseUrl,
    settings: Settings,
    source: str,
    entity: str,
    full: bool = False,
    options: RunOptions | None = None,
    shops: Sequence[str] | None = None,
) -> list[LedgerRow]:
    """Extract one entity of one source for every configured shop/account (or only ``shops``);
    ledger rows back."""
    opts = options or RunOptions()
    opts.full = opts.full or full
    if shops is not None:
        opts.shops = tuple(shops)
    if source == "chatwoot" and entity == "messages":
        entity = "conversations"
    if entity not in SOURCES.get(source, ()):
        raise ExtractError(
            f"unknown entity {source}/{entity}: choose from {', '.join(SOURCES.get(source, ()))}"
            if source in SOURCES
            else f"unknown source {source!r}: choose from {', '.join(SOURCES)}"
        )
    runner = {"shopify": _shopify, "chatwoot": _chatwoot, "app": _app, "ga4": _ga4}[source]
    return runner(url, settings, entity, opts)


def extract_source(
    url: DatabaseUrl, settings: Settings, source: str, options: RunOptions | None = None
) -> list[LedgerRow]:
    """Every entity of a source; a failing entity is recorded and the others still run."""
    opts = options or RunOptions()
    check_config(settings, source)
    results: list[LedgerRow] = []
    failures: list[str] = []
    undone = ledger.unfinished(url, source)  # what an earlier run left undone goes first
    undone |= {"conversations"} if "messages" in undone else set()
    entities = sorted(SOURCES[source], key=lambda e: e not in undone)
    if source in PARALLEL_ENTITIES:
        # Shopify: one bulk query per entity at the same time (up to 5 per shop since API
        # 2026-01). Chatwoot: its two long reads at once; a refused token or an API that is down
        # fails the entities already started and skips the others (they would fail the same way)
        refused = threading.Event() if source == "chatwoot" else None
        outcomes = _bounded(
            lambda entity: _entity_outcome(url, settings, source, entity, opts, refused),
            entities,
            PARALLEL_ENTITIES[source],
        )
        for rows, failure in outcomes:
            results.extend(rows)
            failures.extend([failure] if failure else [])
        entities = []
    for entity in entities:
        try:
            results.extend(extract_entity(url, settings, source, entity, options=opts))
        except (ApiUnavailableError, ConfigError) as exc:
            failures.append(f"{source}/{entity}: {exc}")
            break  # API down or settings wrong: the other entities would only fail the same way
        except ExtractError as exc:
            failures.append(f"{source}/{entity}: {exc}")
    if failures:
        raise ExtractError("; ".join(failures))
    return results


def _entity_outcome(
    url: DatabaseUrl,
    settings: Settings,
    source: str,
    entity: str,
    opts: RunOptions,
    refused: threading.Event | None = None,
) -> tuple[list[LedgerRow], str | None]:
    """One entity's ledger rows, or its failure message; with ``refused``, skipped (no rows, no
    failure) once another entity found the API down or the settings wrong, and sets it when
    this one does."""
    if refused is not None and refused.is_set():
        return [], None
    try:
        return extract_entity(url, settings, source, entity, options=opts), None
    except ExtractError as exc:
        if refused is not None and isinstance(exc, ApiUnavailableError | ConfigError):
            refused.set()
        return [], f"{source}/{entity}: {exc}"


def _bounded(work: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    """``work`` for every item, at most ``workers`` at a time; results in item order."""
    if len(items) <= 1 or workers <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="entity") as pool:
        return list(pool.map(work, items))


def extract_all(
    url: DatabaseUrl, settings: Settings, options: RunOptions | None = None
) -> list[LedgerRow]:
    """Shopify, Chatwoot, the app API and GA4 (each only when configured)."""
    opts = options or RunOptions()
    configured = configured_sources(settings)
    if not configured:
        raise ExtractError(
            "no source is configured: set "
            f"{', '.join(PRIMARY_VARIABLE.values())} (see .env.example)"
        )
    for source in configured:
        check_config(settings, source)  # every nonsense refused before any source starts
    for source in SOURCES:
        if source not in configured:
            log.info("%s skipped: %s is not set", source, PRIMARY_VARIABLE[source])

    # The sources are independent (other APIs, other tables): they run at the same time, each
    # in its own process so that their JSON parsing is not serialised by one interpreter lock,
    # and Shopify's shops each in their own too (threads when an on_commit hook must run in this
    # process).
    if opts.processes and opts.on_commit is None and len(configured) > 1:
        outcomes = extract_sources_in_processes(url, settings, configured, opts)
    else:
        outcomes = _at_once(functools.partial(_source_outcome, url, settings, opts), configured)
    results: list[LedgerRow] = []
    failures: list[str] = []
    for rows, failure in outcomes:
        results.extend(rows)
        if failure:
            failures.append(failure)
    if failures:
        raise ExtractError("; ".join(failures))
    return results


def _source_outcome(
    url: DatabaseUrl, settings: Settings, opts: RunOptions, source: str
) -> tuple[list[LedgerRow], str | None]:
    """One source's ledger rows, or its failure message (an ExtractError says what to do)."""
    try:
        return extract_source(url, settings, source, opts), None
    except ExtractError as exc:
        return [], str(exc)


def extract_sources_in_processes(
    url: DatabaseUrl, settings: Settings, sources: Sequence[str], opts: RunOptions
) -> list[tuple[list[LedgerRow], str | None]]:
    """Each source extracted in worker processes of its own (Shopify's shops spread over up to
    SHOPIFY_PROCESSES); (rows, failure) per process."""
    parts = [part for source in sources for part in _process_parts(settings, source, opts)]
    outcomes = each_in_process(
        functools.partial(_part_outcome, url, settings), parts, name=_part_name
    )
    return [outcome if outcome is not None else ([], failure) for outcome, failure in outcomes]


def _process_parts(
    settings: Settings, source: str, opts: RunOptions
) -> list[tuple[str, RunOptions]]:
    """(source, options) per worker process: one for a source, one per group of Shopify shops
    (each group's options name its shops and its share of the bulk memory budget)."""
    if source != "shopify":
        return [(source, opts)]
    try:
        shops = opts.for_shops(settings.shopify().shops, lambda shop: shop)
    except ConfigError:  # reported by the worker, as for any source
        return [(source, opts)]
    count = min(len(shops), SHOPIFY_PROCESSES)
    if count <= 1:
        return [(source, opts)]
    groups = [tuple(shops[i::count]) for i in range(count)]
    return [
        (source, dataclasses.replace(opts, shops=group, bulk_memory_parts=count))
        for group in groups
    ]


def _part_name(part: tuple[str, RunOptions]) -> str:
    source, opts = part
    if source == "shopify" and opts.shops is not None:
        return f"{source} ({', '.join(opts.shops)})"
    return source


def _part_outcome(
    url: DatabaseUrl, settings: Settings, part: tuple[str, RunOptions]
) -> tuple[list[LedgerRow], str | None]:
    source, opts = part
    return _source_outcome(url, settings, opts, source)


class _Measured(Protocol):
    """A client whose calls are counted (HttpClient, Ga4Client)."""

    stats: CallStats


# --- per source --------------------------------------------------------------------------------


@contextmanager
def _loads(
    url: DatabaseUrl, opts: RunOptions, http: _Measured
) -> Iterator[Callable[..., EntityLoad]]:
    """A factory of EntityLoads on one connection; ledger rows written at start and end."""
    conn = connect(url)
    made: list[EntityLoad] = []

    def make(source: str, shop: str, entity: str, first_seen: bool = False) -> EntityLoad:
        try:
            provenance.admit_url(url, shop)
        except provenance.SourceMixError as exc:
            raise ExtractError(str(exc)) from None
        row = LedgerRow(opts.batch_id, source, shop, entity, mode="incremental")
        ledger.claim(conn, row)  # this run's entity; earlier killed runs' rows -> interrupted
        ledger.write(url, row)
        label = f"{source} {shop.split('.')[0]} {entity}"
        load = EntityLoad(
            conn,
            row,
            f"{SCHEMAS[source]}.{entity}",
            http.stats,
            Progress(label, enabled=opts.progress),
            first_seen=first_seen,
            on_commit=opts.on_commit,
        )
        made.append(load)
        return load

    try:
        yield make
    except BaseException as exc:
        conn.rollback()
        message = str(exc) or type(exc).__name__
        for load in made:
            ledger.write(url, load.finish("failed", message[:1000]))
        raise
    else:
        for load in made:
            ledger.write(url, load.finish("ok"))
    finally:
        conn.close()


def _at_once(work: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``work`` for every item, each in its own thread; results in item order.

    Every item runs to its end even when another fails; the first failure is then raised.
    """
    if len(items) <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=len(items), thread_name_prefix="extract") as pool:
        futures = [pool.submit(work, item) for item in items]
    errors = [f.exception() for f in futures if f.exception() is not None]
    if errors:
        raise errors[0]
    return [f.result() for f in futures]


def bulk_memory_budget(configured_mb: int | None, parts: int) -> int | None:
    """Bytes of bulk results this process may hold in memory: the configured budget (else
    regroup's default), divided among the ``parts`` processes holding results side by side;
    None when regroup's own default stands."""
    if configured_mb is None and parts <= 1:
        return None
    total = regroup.default_memory_mb() if configured_mb is None else configured_mb
    return (total << 20) // max(1, parts)


def _shopify(url: DatabaseUrl, settings: Settings, entity: str, opts: RunOptions):
    cfg = settings.shopify()
    budget = bulk_memory_budget(cfg.bulk_memory_mb, opts.bulk_memory_parts)
    if budget is not None:  # bulk results held in memory, at most (regroup.py)
        regroup.BUDGET.set_limit(budget)

    def one_shop(shop: str) -> LedgerRow:
        http = HttpClient(ShopifyClient.headers(cfg.access_token), opts.policy)
        client = ShopifyClient(http, cfg.graphql_url(shop), bulk_max_wait_s=cfg.bulk_max_wait_s)
        extractor = ShopifyExtractor(
            client,
            lookback=opts.lookback,
            batch_rows=opts.batch_rows,
            bulk_increment_after=opts.bulk_increment_after,
            page_size=opts.page_size,
            split_min=cfg.bulk_split_min,
            run_parts=_part_runner(url, settings, opts, shop),
        )
        with _loads(url, opts, http) as make:
            load = make("shopify", shop, entity)
            if entity == "orders":  # can the token see every order? (recorded, said, flagged)
                access.record(url, access.check_order_history(client, shop), opts.batch_id)
            if entity == "shops":
                extractor.extract_shop(load)
            else:
                query = next(e for e in queries.ENTITIES if e.entity == entity)
                extractor.extract(query, load, full=opts.full, since=opts.since)
        http.close()
        return load.ledger

    return _at_once(one_shop, opts.for_shops(cfg.shops, lambda shop: shop))


def _part_runner(url: DatabaseUrl, settings: Settings, opts: RunOptions, shop: str) -> PartRunner:
    """How a split read's parts run: side by side in processes of their own, or one after the
    other in this thread when the run keeps to one process (``processes`` off, an on_commit
    hook)."""
    if not opts.processes or opts.on_commit is not None:
        return parts_here
    cfg = settings.shopify()
    job = parts.PartJob(
        url=url,
        settings=settings,
        shop=shop,
        batch_id=opts.batch_id,
        lookback=opts.lookback,
        batch_rows=opts.batch_rows,
        progress=opts.progress,
        memory_bytes=bulk_memory_budget(cfg.bulk_memory_mb, opts.bulk_memory_parts * SPLIT_PARTS),
        policy=opts.policy,
    )
    return parts.in_processes(job)


def _chatwoot(url: DatabaseUrl, settings: Settings, entity: str, opts: RunOptions):
    cfg = settings.chatwoot()

    def one_account(account_shop: tuple[str, str]) -> list[LedgerRow]:
        account, shop = account_shop
        http = HttpClient(ChatwootClient.headers(cfg.api_token), opts.policy)
        client = ChatwootClient(http, cfg.url, account)
        extractor = ChatwootExtractor(
            client,
            lookback=opts.lookback,
            batch_rows=opts.batch_rows,
            contacts_full_days=cfg.contacts_full_days,
        )
        with _loads(url, opts, http) as make:
            if entity == "conversations":
                conv = make("chatwoot", shop, "conversations")
                msgs = make("chatwoot", shop, "messages")
                extractor.conversations(conv, msgs, full=opts.full, since=opts.since)
                made = [conv, msgs]
            elif entity == "contacts":
                made = [make("chatwoot", shop, "contacts")]
                extractor.contacts(made[0], full=opts.full, since=opts.since)
            elif entity == "csat_survey_responses":
                made = [make("chatwoot", shop, entity)]
                extractor.csat_survey_responses(made[0], full=opts.full, since=opts.since)
            else:
                made = [make("chatwoot", shop, entity, first_seen=True)]
                records = client.agents() if entity == "agents" else client.inboxes()
                extractor.static(made[0], records)
        extractor.close()
        http.close()
        return [load.ledger for load in made]

    accounts = opts.for_shops(cfg.accounts, lambda pair: pair[1])
    return [row for rows in _at_once(one_account, accounts) for row in rows]


def _app(url: DatabaseUrl, settings: Settings, entity: str, opts: RunOptions):
    cfg = settings.app()
    http = HttpClient(AppClient.headers(cfg.api_token), opts.policy)
    client = AppClient(http, cfg.url)
    made: dict[str, EntityLoad] = {}
    with _loads(url, opts, http) as make:

        def load_for(shop: str) -> EntityLoad:
            made[shop] = make("app", shop or "(unknown)", entity)
            made[shop].ledger.mode = "full"
            return made[shop]

        extract_app_entity(client, entity, load_for)
    http.close()
    return [load.ledger for load in made.values()]


def _ga4(url: DatabaseUrl, settings: Settings, entity: str, opts: RunOptions):
    from extractors.ga4.client import Ga4Client, credentials_from
    from extractors.ga4.extract import Ga4Extractor
    from extractors.ga4.report import REPORTS

    cfg = settings.ga4()
    credentials = credentials_from(cfg)
    lookback_days = max(GA4_LOOKBACK_DAYS, -(-int(opts.lookback.total_seconds()) // 86400))

    def one_property(property_shop: tuple[str, str]) -> LedgerRow:
        property_id, shop = property_shop
        client = Ga4Client(credentials, cfg.api_url, opts.policy)
        extractor = Ga4Extractor(client, REPORTS[entity], property_id, lookback_days=lookback_days)
        with _loads(url, opts, client) as make:
            load = make("ga4", shop, entity)
            extractor.extract(load, full=opts.full, since=opts.since)
        client.close()
        return load.ledger

    return _at_once(one_property, opts.for_shops(cfg.properties, lambda pair: pair[1]))
