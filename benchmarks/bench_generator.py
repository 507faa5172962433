"""Benchmark: sandbox generation rate and peak memory (prints figures; not a test).

    python -m benchmarks.bench_generator --orders 1000000 --seed 42

Generates into a throw-away cache folder (so the run is never a cache hit) in a child process
and reports orders/s, CPU seconds, records written, file size and peak RSS (generator and its
worker process). Wall time depends on how busy the machine is; CPU seconds less so.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path


def _run(orders: int, seed: int, now: str, folder: str, out: multiprocessing.Queue) -> None:
    from sandbox.store import SandboxStore

    started = time.perf_counter()
    store = SandboxStore.open(
        orders, seed, now=datetime.fromisoformat(now), cache_dir=Path(folder), progress=True
    )
    elapsed = time.perf_counter() - started
    try:
        records = sum(
            store.count(source, entity, None)
            for source, entities in (
                ("shopify", ("orders", "customers", "products", "inventory_levels")),
                ("chatwoot", ("conversations", "messages", "contacts")),
            )
            for entity in entities
        )
        size = store.path.stat().st_size
    finally:
        store.close()
    own = resource.getrusage(resource.RUSAGE_SELF)
    worker = resource.getrusage(resource.RUSAGE_CHILDREN)  # the shops-2-and-3 worker, if any
    out.put(
        {
            "seconds": elapsed,
            "cpu_seconds": own.ru_utime + own.ru_stime + worker.ru_utime + worker.ru_stime,
            "records": records,
            "bytes": size,
            "peak_rss_kib": own.ru_maxrss,
            "worker_peak_rss_kib": worker.ru_maxrss,
        }
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--now", default="2026-06-01T12:00:00+00:00")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hotrod-bench-gen-") as folder:
        queue: multiprocessing.Queue = multiprocessing.get_context("spawn").Queue()
        process = multiprocessing.get_context("spawn").Process(
            target=_run, args=(args.orders, args.seed, args.now, folder, queue)
        )
        process.start()
        result = queue.get()
        process.join()
    rate = args.orders / result["seconds"]
    print(
        json.dumps(
            {
                "benchmark": "sandbox_generator",
                "orders": args.orders,
                "seed": args.seed,
                "seconds": round(result["seconds"], 1),
                "orders_per_second": round(rate),
                "records": result["records"],
                "sqlite_mb": round(result["bytes"] / 1e6, 1),
                "cpu_seconds": round(result["cpu_seconds"], 1),
                "peak_rss_mb": round(result["peak_rss_kib"] / 1024, 1),
                "worker_peak_rss_mb": round(result["worker_peak_rss_kib"] / 1024, 1),
                "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )
    )
    print(
        f"sandbox generator: {args.orders:,} orders in {result['seconds']:,.1f}s "
        f"({rate:,.0f} orders/s), {result['records']:,} records, "
        f"{result['bytes'] / 1e6:,.0f} MB SQLite, peak RSS {result['peak_rss_kib'] / 1024:,.0f} MB "
        f"(+ worker {result['worker_peak_rss_kib'] / 1024:,.0f} MB), "
        f"{result['cpu_seconds']:,.0f} CPU s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
