"""Generates the sandbox business into an open SQLite connection (see ``sandbox.store``).

Streaming: orders are made day by day, rendered as of the clock and batch-inserted at once; only
the catalog, customers and contacts stay in memory. Orders and conversations with events after
the clock are parked (as plans) in ``pending`` for ``advance()``.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sandbox.generator.app import AppLog, app_shop_payload, platform_shops
from sandbox.generator.business import ShopRun
from sandbox.generator.catalog import master_catalog, product_payload, shop_catalog
from sandbox.generator.chatwoot import (
    ChatwootIds,
    agent_payload,
    agents_by_account,
    contact_payload,
    conversation_due,
    inbox_payload,
    inboxes_by_account,
    render_conversation,
    render_csat,
)
from sandbox.generator.clock import (
    DAY,
    HOUR_WEIGHTS,
    day_weight,
    history_start,
    local_date,
    local_midnight,
)
from sandbox.generator.customers import CustomerPool, customer_payload
from sandbox.generator.inventory import initial_levels
from sandbox.generator.orders import ShopState, next_due, render_order
from sandbox.generator.rand import below
from sandbox.generator.schema import SCHEMA
from sandbox.generator.shops import (
    SHOP_BY_DOMAIN,
    SHOPS,
    ShopDef,
    location_payloads,
    shop_payload,
    split_orders,
)
from sandbox.generator.writer import Writer

# 5: shops under .sandbox.test; 6: trackingInfo, shippingLine; 7: order edits; 8: inbox working
# hours and timezone, CSAT survey responses
GENERATOR_VERSION = "8"
HOUR_CUMULATIVE = [sum(HOUR_WEIGHTS[: h + 1]) for h in range(24)]
PARALLEL_FROM = 100_000  # orders; below this the second part is generated in-process
CHATWOOT_ID_SPAN = 100_000_000  # account k's conversation/message/contact ids start at (k-1)*span


def generate(
    conn: sqlite3.Connection,
    orders: int,
    seed: int,
    now: int,
    progress: bool = False,
    scratch: Path | None = None,
) -> None:
    """Generate the whole business into ``conn`` (an empty store, inside a transaction).

    The largest shop is generated here while the two smaller ones are generated into a scratch
    file (by a worker process when the run is large), then copied in. Both ways perform the same
    inserts in the same order, so the file's bytes do not depend on the path taken.
    """
    started = time.perf_counter()
    counts = split_orders(orders)
    scratch_dir = scratch or Path(tempfile.gettempdir())
    fd, name = tempfile.mkstemp(prefix="sandbox-part-", suffix=".sqlite", dir=scratch_dir)
    os.close(fd)
    part = Path(name)
    part.unlink()
    worker: subprocess.Popen | None = None
    try:
        rest = list(range(1, len(SHOPS)))
        if orders >= PARALLEL_FROM and (os.cpu_count() or 1) > 1:
            job = {"path": str(part), "shops": rest, "counts": counts, "seed": seed, "now": now,
                   "progress": progress}  # fmt: skip
            worker = subprocess.Popen(
                [sys.executable, "-m", "sandbox.generator.worker", json.dumps(job)],
                stdin=subprocess.DEVNULL,
            )
        meta = _generate_shops(conn, [0], counts, seed, now, progress)
        if worker is None:
            generate_part(str(part), rest, counts, seed, now, progress)
        elif worker.wait() != 0:
            raise RuntimeError(
                f"sandbox generator worker failed (exit code {worker.returncode}); "
                "see the error above and re-run `hotrod sandbox generate`"
            )
        if progress:
            print("sandbox: merging the smaller shops ...", file=sys.stderr, flush=True)
        meta.update(_merge_part(conn, part))
    finally:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            worker.wait()
        part.unlink(missing_ok=True)
    meta.update(_write_shared(conn, seed, now))
    meta.update(
        {
            "generator_version": GENERATOR_VERSION,
            "orders": str(orders),
            "seed": str(seed),
            "generated_now": str(now),
            "clock": str(now),
        }
    )
    conn.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
    if progress:
        elapsed = time.perf_counter() - started
        print(
            f"sandbox: generated {orders:,} orders in {elapsed:,.1f}s "
            f"({orders / max(elapsed, 1e-6):,.0f} orders/s)",
            file=sys.stderr,
            flush=True,
        )


def generate_part(
    path: str, shop_indexes: list[int], counts: list[int], seed: int, now: int, progress: bool
) -> None:
    """Generate some shops into a scratch SQLite file."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.executescript(SCHEMA)
        conn.execute("BEGIN")
        meta = _generate_shops(conn, shop_indexes, counts, seed, now, progress)
        conn.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
        conn.execute("COMMIT")
    finally:
        conn.close()


def _merge_part(conn: sqlite3.Connection, part: Path) -> dict[str, str]:
    conn.execute("COMMIT")  # ATTACH is not allowed inside a transaction
    conn.execute("ATTACH DATABASE ? AS part", (str(part),))
    try:
        conn.execute("BEGIN")
        for table in ("records", "pending", "personas"):
            conn.execute(f"INSERT INTO main.{table} SELECT * FROM part.{table} ORDER BY rowid")
        conn.execute("COMMIT")
        return dict(conn.execute("SELECT key, value FROM part.meta").fetchall())
    finally:
        conn.execute("DETACH DATABASE part")
        conn.execute("BEGIN")


def _generate_shops(
    conn: sqlite3.Connection,
    shop_indexes: list[int],
    counts: list[int],
    seed: int,
    now: int,
    progress: bool,
) -> dict[str, str]:
    writer = Writer(conn)
    agents = agents_by_account()
    inboxes = inboxes_by_account()
    master = master_catalog(seed)
    meta: dict[str, str] = {}
    for index in shop_indexes:
        shop = SHOPS[index]
        meta.update(
            _generate_shop(
                writer, shop, counts[index], seed, now, master, agents, inboxes, progress
            )
        )
    writer.flush()
    return meta


def _generate_shop(
    writer: Writer,
    shop: ShopDef,
    shop_orders: int,
    seed: int,
    now: int,
    master: list,
    agents: dict,
    inboxes: dict,
    progress: bool,
) -> dict[str, str]:
    started = time.perf_counter()
    done = 0
    start_day = history_start(now, shop.timezone)
    start = local_midnight(start_day, shop.timezone)
    shop_created = start - (400 + 200 * shop.index) * DAY
    writer.record(
        "shopify.shops",
        shop.domain,
        f"gid://shopify/Shop/{shop.index + 1}",
        start - 30 * DAY,
        shop_payload(shop, shop_created, start - 30 * DAY),
    )
    locations = location_payloads(shop, shop_created)
    for gid, updated, payload in locations:
        writer.record("shopify.locations", shop.domain, gid, updated, payload)
    catalog = shop_catalog(shop, master, seed, start)
    for product in catalog.products:
        updated, payload = product_payload(product, shop.currency)
        writer.record("shopify.products", shop.domain, product.gid, updated, payload)
    online = [gid for (gid, _, p) in locations if p["fulfillsOnlineOrders"]]
    state = ShopState(shop, catalog, online)
    base = (shop.chatwoot_account_id - 1) * CHATWOOT_ID_SPAN
    ids = ChatwootIds(base, base, base)
    run = ShopRun(
        state,
        CustomerPool(shop),
        ids,
        agents[shop.chatwoot_account_id],
        inboxes[shop.chatwoot_account_id],
    )
    rng = random.Random(f"{seed}:orders:{shop.domain}")
    recent_from = now - 30 * DAY
    for day, count in allocate_days(rng, shop, shop_orders, start_day, now):
        midnight = local_midnight(day, shop.timezone)
        length = local_midnight(day + timedelta(days=1), shop.timezone) - midnight
        limit = min(length, now - midnight)
        times = sorted(_order_time(rng, length, limit) for _ in range(count))
        for offset in times:
            created = midnight + offset
            plan, _customer, convs = run.place_order(rng, created, day.month)
            _write_order(writer, shop, plan, now)
            if created >= recent_from:
                for line in plan["lines"]:
                    state.sold_recent[line[5]] = state.sold_recent.get(line[5], 0) + line[3]
            for conv in convs:
                _write_conversation(writer, run, conv, now)
        done += count
        if progress and day.day == 1:
            rate = done / max(time.perf_counter() - started, 1e-6)
            print(
                f"sandbox: {shop.domain} {day:%Y-%m} — {done:,}/{shop_orders:,} orders "
                f"({rate:,.0f}/s)",
                file=sys.stderr,
                flush=True,
            )
    _write_customers(writer, run)
    _write_contacts(writer, run)
    for gid, updated, parent, payload in initial_levels(
        catalog,
        online + [g for (g, _, p) in locations if g not in online and p["isActive"]],
        state.sold_recent,
        state.last_sale,
        now,
        seed,
    ):
        writer.record("shopify.inventory_levels", shop.domain, gid, updated, payload, parent)
    writer.flush()
    return {
        f"counters:{shop.domain}": json.dumps(
            {**state.counters(), "customer_seq": run.pool.next_seq}
        ),
        f"chatwoot_ids:{shop.domain}": json.dumps(ids.as_dict()),
        f"rate:{shop.domain}": json.dumps(_rate(shop, shop_orders, start_day, now)),
    }


def _write_shared(conn: sqlite3.Connection, seed: int, now: int) -> dict[str, str]:
    """The dashboard app's tables and the Chatwoot agents and inboxes (small, not per order)."""
    writer = Writer(conn)
    meta: dict[str, str] = {}
    decision_seq = entry_seq = 0
    for shop in SHOPS:
        start = local_midnight(history_start(now, shop.timezone), shop.timezone)
        installed = start + 3 * DAY + shop.index * 20 * DAY
        activated = installed + (2 + 3 * shop.index) * DAY
        payload = app_shop_payload(
            shop.domain, installed, activated, None, ("pro", "growth", "basic")[shop.index]
        )
        writer.record("app.shops", shop.domain, shop.domain, activated, payload)
        log = AppLog(shop, seed, local_date(activated, shop.timezone))
        today = local_date(now, shop.timezone)
        day = log.activated
        while day < today:  # decisions and time entries up to yesterday
            decisions, entries = log.day(day, decision_seq, entry_seq)
            decision_seq += len(decisions)
            entry_seq += len(entries)
            for rid, updated, payload in decisions:
                writer.record("app.decision_log", shop.domain, rid, updated, payload)
            for rid, updated, payload in entries:
                writer.record("app.ceo_time_entries", shop.domain, rid, updated, payload)
            day += timedelta(days=1)
        meta[f"app_next_day:{shop.domain}"] = today.isoformat()
    first_start = min(local_midnight(history_start(now, s.timezone), s.timezone) for s in SHOPS)
    for domain, updated, payload in platform_shops(seed, first_start, now):
        writer.record("app.shops", domain, domain, updated, payload)
    agents = agents_by_account()
    inboxes = inboxes_by_account()
    for account, account_agents in agents.items():
        domain = _account_domain(account)
        for agent in account_agents:
            writer.record(
                "chatwoot.agents", domain, str(agent.id), first_start, agent_payload(agent)
            )
        for inbox in inboxes[account]:
            writer.record(
                "chatwoot.inboxes",
                domain,
                str(inbox[0]),
                first_start,
                inbox_payload(inbox, account, SHOP_BY_DOMAIN[domain].timezone),
            )
    writer.flush()
    meta["decision_seq"] = str(decision_seq)
    meta["entry_seq"] = str(entry_seq)
    return meta


def _account_domain(account: int) -> str:
    return next(s.domain for s in SHOPS if s.chatwoot_account_id == account)


def allocate_days(
    rng: random.Random, shop: ShopDef, total: int, start_day: date, now: int
) -> list[tuple[date, int]]:
    """Exactly ``total`` orders spread over the local days by trend, season, weekday and noise."""
    today = local_date(now, shop.timezone)
    days = [start_day + timedelta(days=k) for k in range((today - start_day).days + 1)]
    weights = []
    for day in days:
        weight = day_weight(day, start_day) * rng.lognormvariate(0, 0.12)
        if day == today:
            elapsed_hours = (now - local_midnight(day, shop.timezone)) / 3600
            weight *= _hour_fraction(elapsed_hours)
        weights.append(weight)
    total_weight = sum(weights)
    exact = [total * w / total_weight for w in weights]
    counts = [int(x) for x in exact]
    short = total - sum(counts)
    by_remainder = sorted(range(len(days)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[:short]:
        counts[i] += 1
    if counts[-1] and _hour_fraction((now - local_midnight(today, shop.timezone)) / 3600) == 0:
        counts[-2] += counts[-1]
        counts[-1] = 0
    return list(zip(days, counts, strict=True))


def _hour_fraction(hours: float) -> float:
    whole = int(hours)
    if whole >= 24:
        return 1.0
    done = HOUR_CUMULATIVE[whole - 1] if whole else 0.0
    done += HOUR_WEIGHTS[whole] * (hours - whole)
    return done / HOUR_CUMULATIVE[-1]


def _rate(shop: ShopDef, total: int, start_day: date, now: int) -> dict:
    """Orders per unit of day weight, so that ``advance()`` continues the same curve."""
    today = local_date(now, shop.timezone)
    weight = sum(
        day_weight(start_day + timedelta(days=k), start_day)
        for k in range((today - start_day).days + 1)
    )
    return {"per_weight": total / weight, "start_day": start_day.isoformat()}


def _order_time(rng: random.Random, length: int, limit: int) -> int:
    """Seconds after local midnight, following the hour-of-day curve, before ``limit``."""
    for _ in range(20):
        x = rng.random() * HOUR_CUMULATIVE[-1]
        hour = 0
        while HOUR_CUMULATIVE[hour] < x:
            hour += 1
        offset = int((hour + rng.random()) * 3600 * length / 86_400)
        if offset < limit:
            return offset
    return below(rng, max(limit, 1))


def _write_order(writer: Writer, shop: ShopDef, plan: dict, now: int) -> None:
    updated, payload = render_order(plan, now, shop.currency)
    writer.record("shopify.orders", shop.domain, plan["id"], updated, payload)
    due = next_due(plan, now)
    if due is not None:
        writer.park("shopify.orders", shop.domain, plan["id"], due, plan)


def _write_conversation(writer: Writer, run: ShopRun, conv: dict, now: int) -> None:
    domain = run.shop.domain
    rendered = render_conversation(conv, now)
    if rendered is not None:
        updated, payload, messages = rendered
        cid = str(conv["id"])
        writer.record("chatwoot.conversations", domain, cid, updated, payload)
        for at, message in messages:
            writer.record("chatwoot.messages", domain, str(message["id"]), at, message, cid)
        contact = conv["contact"]
        seen = run.contacts.get(contact["id"])
        if seen is None:
            run.contacts[contact["id"]] = [contact, conv["created"], payload["last_activity_at"]]
        else:
            seen[1] = min(seen[1], conv["created"])
            seen[2] = max(seen[2], payload["last_activity_at"])
        csat = render_csat(conv, now)
        if csat is not None:
            writer.record("chatwoot.csat_survey_responses", domain, cid, csat[0], csat[1])
    due = conversation_due(conv, now)
    if due is not None:
        writer.park("chatwoot.conversations", domain, str(conv["id"]), due, conv)


def _write_customers(writer: Writer, run: ShopRun) -> None:
    rows = []
    for customer in run.pool.customers:
        gid, updated, payload = customer_payload(run.pool, customer)
        writer.record("shopify.customers", run.shop.domain, gid, updated, payload)
        rows.append((run.shop.domain, gid, customer.persona, int(customer.active)))
    writer.flush()
    writer.conn.executemany("INSERT INTO personas VALUES (?, ?, ?, ?)", rows)


def _write_contacts(writer: Writer, run: ShopRun) -> None:
    for contact_id in sorted(run.contacts):
        contact, created, last = run.contacts[contact_id]
        payload = contact_payload({**contact, "created_at": created}, last)
        writer.record("chatwoot.contacts", run.shop.domain, str(contact_id), last, payload)
