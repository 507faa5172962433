"""Webhook to tile, measured through the real pieces (`hotrod bench --realtime`).

The stand-in's own changes (its clock advanced a day at a time, `POST /_sandbox/advance`) are
delivered as signed webhooks (``sandbox.webhook_sender``) to the real receiver (`hotrod webhooks
serve`, signature verification on, a secret made for the run); the receiver lands them (a Shopify
delivery is a change notice: the record is fetched from the stand-in's Admin API); the real webhook
sensor, started in `hotrod dagster dev` (daemon + code location, the project's instance config,
``HOTROD_WEBHOOK_SENSOR_INTERVAL`` as configured), starts the real-time job; the event is
*visible* when the tile's contract view (``v_fulfillment_health_summary`` for Shopify orders and
fulfillments, ``v_cx_health_summary`` for Chatwoot conversations and messages) shows a build made
by the run that took the event, or a later one: the view's ``window_end`` (the build's ``now()``,
Dagster's runs pass no ``as_of``) is at or after that run's start. Runs are sequential (the sensor
never starts one while another is unfinished), so a build started after the run started read the
raw rows the event landed.

A :class:`ContractPoller` reads every contract view in a loop (``select * ... limit 1``) for the
whole stage and counts the errors per phase (a full `dbt build`, the single webhooks, the
stream). Children reset their signal handlers and are stopped by PID (Dagster by its process
group: it runs in a session of its own).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg2
import requests
from psycopg2 import sql

from benchmarks.harness import stages
from benchmarks.harness.latency import percentile
from benchmarks.harness.proc import hotrod_command, reset_signals, stop
from warehouse.connection import connect, drop_database
from warehouse.dbt_invocation import DBT_PROJECT_DIR
from warehouse.settings import REPO_ROOT, DatabaseUrl, env_int, marts_schema

JOB = "realtime_fulfillment_cx"  # orchestration.defs.schedules.REALTIME_JOB
CHECKS_JOB = "realtime_fulfillment_cx_checks"  # its checks, started by the same sensor
SENSOR = "webhook_events_sensor"
# The sensor's topics (orchestration.defs.sensors.TOPIC_PATTERNS) and the tile each one feeds.
TILES = (
    (("orders/", "fulfillments/"), "v_fulfillment_health_summary"),
    (("conversation", "message"), "v_cx_health_summary"),
)
START_TIMEOUT_S = 900.0  # dagster dev: parse the project, load the code location
EVENT_TIMEOUT_S = 900.0  # one webhook not visible after this long counts as not visible
WATCH_INTERVAL_S = 0.5
SAMPLE_INTERVAL_S = 5.0
# A pass over every view starts at most once a second: a dashboard's pace, not a load test (read
# flat out, 470 reads/s took one of the two CPUs from the runs being measured). A view missing for
# the 0.9-2 s a drop-and-recreate took is still read while it is missing.
LOOP_PERIOD_S = 1.0
UNFINISHED = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING")
RUN_KEY_TAG = "dagster/run_key"
CHECKS_FOR_TAG = "hotrod/checks_for"  # orchestration.defs.schedules: the run a checks run follows
# The sandbox starts this many days in the past and advances at most as many, so its changes
# never lie ahead of the real-time runs' clock (they build as of now()).
CLOCK_DAYS_BACK = 7


def contract_views() -> list[str]:
    """Every contract view of the project (models/contract/v_*.sql)."""
    return sorted(p.stem for p in (DBT_PROJECT_DIR / "models" / "contract").glob("v_*.sql"))


def tile_for(topic: str) -> str | None:
    return next((tile for prefixes, tile in TILES if topic.startswith(prefixes)), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the poller ---------------------------------------------------------------------------------


class ContractPoller:
    """Reads every contract view in a loop on its own connection (the owner's, with a shop
    claimed as a dashboard request has: row security and grants are not what it tests, a
    missing or failing view is); counts reads and errors per phase (``phase`` is set by the
    caller; None pauses)."""

    def __init__(
        self, url: DatabaseUrl, views: list[str], shop: str, schema: str | None = None
    ) -> None:
        self.url = url
        self.shop = shop
        self.views = views
        self.schema = schema or marts_schema()
        self.phase: str | None = None
        self.phases: dict[str, dict[str, Any]] = {}
        self.error_samples: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name="bench-contract-poller", daemon=True
        )

    def __enter__(self) -> ContractPoller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=180)

    def figures(self, phase: str) -> dict[str, Any]:
        p = self.phases.get(phase, {"loops": 0, "reads": 0, "errors": 0, "max_read_ms": None})
        return {**p, "views": len(self.views)}

    def _loop(self) -> None:
        conn = None
        while not self._stop.is_set():
            phase = self.phase
            if phase is None:
                time.sleep(0.2)
                continue
            if conn is None or conn.closed:
                conn = connect(self.url, autocommit=True)
                with conn.cursor() as cur:
                    cur.execute(
                        "select set_config('request.jwt.claims', %s, false)",
                        (json.dumps({"shop_domain": self.shop}),),
                    )
            figures = self.phases.setdefault(
                phase, {"loops": 0, "reads": 0, "errors": 0, "max_read_ms": 0.0}
            )
            pass_started = time.monotonic()
            for view in self.views:
                if self._stop.is_set() or self.phase != phase:
                    break
                query = sql.SQL("select * from {}.{} limit 1").format(
                    sql.Identifier(self.schema), sql.Identifier(view)
                )
                started = time.perf_counter()
                try:
                    with conn.cursor() as cur:
                        cur.execute(query)
                        cur.fetchall()
                except psycopg2.Error as exc:
                    figures["errors"] += 1
                    if len(self.error_samples) < 50:
                        message = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                        self.error_samples.append(
                            {"phase": phase, "view": view, "at": time.time(), "error": message}
                        )
                    if conn.closed:
                        conn = None
                        break
                figures["reads"] += 1
                ms = (time.perf_counter() - started) * 1000
                figures["max_read_ms"] = round(max(figures["max_read_ms"], ms), 1)
            else:
                figures["loops"] += 1
                self._stop.wait(max(0.0, LOOP_PERIOD_S - (time.monotonic() - pass_started)))
        if conn is not None:
            conn.close()


# --- the services -------------------------------------------------------------------------------


@dataclass
class Service:
    name: str
    process: subprocess.Popen
    log: Path
    group: bool = False  # stopped by its process group (a session of its own)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        if not self.group:
            stop(self.process)
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # its own session: the group id is its pid
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


def _spawn(
    name: str, cmd: list[str], env: dict[str, str], log: Path, group: bool, cwd: Path = REPO_ROOT
) -> Service:
    with log.open("a") as handle:
        proc = subprocess.Popen(
            cmd,
            cwd=str(cwd),
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            preexec_fn=reset_signals,  # noqa: PLW1509 - no threads touch the child before exec
            start_new_session=group,
        )
    return Service(name, proc, log, group)


def service_env(url: DatabaseUrl, sources: dict[str, str], secrets_env: dict[str, str]) -> dict:
    """The environment of the receiver and Dagster: the run's warehouse and the stand-in's
    sources; schedules stopped and no sandbox of their own (the sensor is started by name)."""
    env = {k: v for k, v in os.environ.items() if k not in ("HOTROD_SOURCES", "HOTROD_SCHEDULES")}
    env.pop("DAGSTER_HOME", None)
    env.update(sources)
    env.update(secrets_env)
    env["HOTROD_DATABASE_URL"] = url.url
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


class Dagster:
    """`hotrod dagster dev` for the run: GraphQL on a free port; the webhook sensor started."""

    def __init__(self, service: Service, port: int) -> None:
        self.service = service
        self.port = port
        self.location: dict[str, str] = {}

    def gql(self, query: str, variables: dict | None = None, timeout: float = 60) -> dict:
        reply = requests.post(
            f"http://127.0.0.1:{self.port}/graphql",
            json={"query": query, "variables": variables or {}},
            timeout=timeout,
        )
        body = reply.json()
        if body.get("errors"):
            raise RuntimeError(f"Dagster GraphQL error: {body['errors'][0].get('message')}")
        return body["data"]

    def wait_loaded(self, timeout: float = START_TIMEOUT_S) -> None:
        query = (
            "{ repositoriesOrError { ... on RepositoryConnection { nodes { name "
            "location { name } sensors { name } } } } }"
        )
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.service.process.poll() is not None:
                raise RuntimeError(
                    f"dagster dev exited ({self.service.process.returncode}); see its log "
                    f"{self.service.log}:\n{self.service.tail()}"
                )
            try:
                nodes = (self.gql(query, timeout=30)["repositoriesOrError"] or {}).get("nodes")
                for repo in nodes or []:
                    if any(s["name"] == SENSOR for s in repo["sensors"]):
                        self.location = {
                            "repositoryName": repo["name"],
                            "repositoryLocationName": repo["location"]["name"],
                        }
                        return
                last = f"no {SENSOR} yet"
            except (requests.RequestException, ValueError, RuntimeError, KeyError) as exc:
                last = str(exc)[:200]
            time.sleep(3)
        raise RuntimeError(
            f"dagster dev did not load the code location in {timeout:.0f}s ({last}); "
            f"see {self.service.log}"
        )

    def start_sensor(self, timeout: float = 300) -> float:
        """Start the webhook sensor and wait for its first tick (which sets its cursor to the
        newest event present); seconds until that tick."""
        selector = {**self.location, "sensorName": SENSOR}
        started = time.monotonic()
        reply = self.gql(
            "mutation($s: SensorSelector!) { startSensor(sensorSelector: $s) { __typename "
            "... on PythonError { message } } }",
            {"s": selector},
        )["startSensor"]
        if reply["__typename"] != "Sensor":
            raise RuntimeError(f"Dagster did not start {SENSOR}: {reply}")
        query = (
            "query($s: SensorSelector!) { sensorOrError(sensorSelector: $s) { ... on Sensor { "
            "sensorState { status ticks(limit: 1) { status timestamp } } } } }"
        )
        while time.monotonic() - started < timeout:
            state = self.gql(query, {"s": selector})["sensorOrError"].get("sensorState") or {}
            if state.get("ticks"):
                return time.monotonic() - started
            time.sleep(1)
        raise RuntimeError(f"the webhook sensor did not tick within {timeout:.0f}s")

    def runs(self, job: str = JOB) -> list[dict[str, Any]]:
        """A job's runs (the real-time job's by default): id, status, created/started/ended
        (epoch s), run-key stamp."""
        data = self.gql(
            "query($f: RunsFilter) { runsOrError(filter: $f) { ... on Runs { results { "
            "runId status creationTime startTime endTime tags { key value } } } } }",
            {"f": {"pipelineName": job}},
        )
        out = []
        for run in (data["runsOrError"] or {}).get("results") or []:
            tags = {t["key"]: t["value"] for t in run["tags"]}
            key = tags.get(RUN_KEY_TAG, "")
            stamp = None
            if key.startswith("webhooks:"):
                stamp = datetime.fromisoformat(key.split(":", 1)[1])
            out.append(
                {
                    "run_id": run["runId"],
                    "status": run["status"],
                    "created": run["creationTime"],
                    "started": run["startTime"],
                    "ended": run["endTime"],
                    "stamp": stamp,
                    "events": int(tags.get("hotrod/webhook_events", "0") or 0),
                    "checks_for": tags.get(CHECKS_FOR_TAG),
                }
            )
        return sorted(out, key=lambda r: r["created"])

    def step_starts(self, run_ids: set[str]) -> dict[str, float]:
        """When each run's first step started (its step process launched, dagster-dbt about to
        invoke dbt)."""
        query = (
            "query($id: ID!) { runOrError(runId: $id) { ... on Run { "
            "stepStats { stepKey startTime } } } }"
        )
        starts: dict[str, float] = {}
        for run_id in run_ids:
            try:
                stats = self.gql(query, {"id": run_id})["runOrError"].get("stepStats") or []
            except (requests.RequestException, RuntimeError, ValueError):
                continue
            times = [st["startTime"] for st in stats if st.get("startTime")]
            if times:
                starts[run_id] = min(times)
        return starts


@dataclass
class Services:
    receiver: Service
    receiver_url: str
    dagster: Dagster
    secrets: dict[str, str]
    sensor_first_tick_s: float = 0.0
    started_s: float = 0.0

    def stop(self) -> None:
        self.dagster.service.stop()
        self.receiver.stop()


def start_services(
    url: DatabaseUrl, sources: dict[str, str], work: Path, out: Callable[[str], None]
) -> Services:
    """The receiver and `hotrod dagster dev` on the run's warehouse; the sensor started."""
    started = time.monotonic()
    run_secrets = {
        "SHOPIFY_WEBHOOK_SECRET": secrets.token_hex(16),
        "CHATWOOT_WEBHOOK_SECRET": secrets.token_hex(16),
    }
    env = service_env(url, sources, run_secrets)
    port = free_port()
    receiver = _spawn(
        "receiver",
        hotrod_command("webhooks", "serve", "--port", str(port)),
        env,
        work / "receiver.log",
        group=False,
    )
    dagster_port = free_port()
    home = dagster_home(url, work / "dagster")
    dagster_env = {
        **env,
        "DAGSTER_HOME": str(home),
        "HOTROD_DAGSTER_DBT_TARGET": str(work / "dagster-dbt-target"),
    }
    # what `hotrod dagster dev` runs, without its own `dbt parse` first: under `dagster dev` the
    # code location parses the project when it loads (in the runs' dbt environment)
    dagster = str(Path(sys.executable).parent / "dagster")
    service = _spawn(
        "dagster",
        [dagster, "dev", "-m", "orchestration.definitions", "-p", str(dagster_port)]
        + ["-h", "127.0.0.1"],
        dagster_env,
        work / "dagster.log",
        group=True,
        cwd=home,  # its dagster.yaml is the one in effect
    )
    services = Services(
        receiver, f"http://127.0.0.1:{port}", Dagster(service, dagster_port), run_secrets
    )
    try:
        _wait_health(services.receiver_url, receiver)
        out(f"  receiver at {services.receiver_url}; waiting for dagster dev (port {dagster_port})")
        services.dagster.wait_loaded()
        services.sensor_first_tick_s = services.dagster.start_sensor()
    except BaseException:
        services.stop()
        raise
    services.started_s = time.monotonic() - started
    return services


def dagster_home(url: DatabaseUrl, home: Path) -> Path:
    """DAGSTER_HOME for the run: the project's dagster.yaml (storage in ``<db>_dagster``,
    created), plus room for the code location's first load: it parses the dbt project, which
    takes longer than Dagster's default 180 s on a loaded 2-CPU machine."""
    from orchestration.instance import prepare_home

    home, _env = prepare_home(home, url)
    config = home / "dagster.yaml"
    config.write_text(config.read_text() + CODE_SERVER_TIMEOUT)
    return home


CODE_SERVER_TIMEOUT = """
# hotrod bench --realtime: the code location parses the dbt project when it loads
code_servers:
  local_startup_timeout: 900
"""


def _wait_health(base: str, service: Service, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"the webhook receiver exited:\n{service.tail()}")
        try:
            if requests.get(f"{base}/health", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the webhook receiver did not answer /health in {timeout:.0f}s")


def drop_dagster_storage(url: DatabaseUrl) -> None:
    drop_database(url.with_database(f"{url.database}_dagster"))


# --- the events ---------------------------------------------------------------------------------


@dataclass
class Event:
    delivery: Any  # sandbox.webhook_sender.Delivery
    tile: str
    phase: str
    sent: float = 0.0
    acked: float | None = None
    http_status: int = 0
    receiver_status: str = ""
    received_at: datetime | None = None  # raw_app.webhook_events.received_at
    run: dict[str, Any] = field(default_factory=dict)
    visible_at: float | None = None
    lost: str = ""  # why it will never be visible (refused, or its run ended without the tile)

    @property
    def settled(self) -> bool:
        return self.visible_at is not None or bool(self.lost)

    def breakdown(self) -> dict[str, Any]:
        """Seconds of each leg (None where it did not happen)."""

        def leg(a: float | None, b: float | None) -> float | None:
            return round(b - a, 3) if a is not None and b is not None else None

        landed = self.received_at.timestamp() if self.received_at else None
        return {
            "topic": self.delivery.topic,
            "shop": self.delivery.shop_domain,
            "tile": self.tile,
            "receiver_status": self.receiver_status,
            "lost": self.lost or None,
            "run_status": self.run.get("status"),
            "receiver_s": leg(self.sent, self.acked),
            "sensor_pickup_s": leg(landed, self.run.get("created")),
            "run_start_s": leg(self.run.get("created"), self.run.get("started")),
            "step_start_s": leg(self.run.get("started"), self.run.get("step_started")),
            "step_to_visible_s": leg(self.run.get("step_started"), self.visible_at),
            "run_to_visible_s": leg(self.run.get("started"), self.visible_at),
            "run_seconds": leg(self.run.get("started"), self.run.get("ended")),
            "run_events": self.run.get("events"),
            "webhook_to_tile_s": leg(self.sent, self.visible_at),
        }


class Tracker:
    """Sends deliveries and watches them land, be taken by a run and become visible."""

    def __init__(self, url: DatabaseUrl, services: Services) -> None:
        self.url = url
        self.services = services
        self.events: list[Event] = []
        self.runs: list[dict[str, Any]] = []
        self.check_runs: list[dict[str, Any]] = []  # the checks job's (not waited for by runs)
        self.lock = threading.Lock()
        self.session = requests.Session()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="bench-tile-watch", daemon=True)
        self.watch_errors = 0
        self.looks = 0

    def __enter__(self) -> Tracker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def send(self, delivery: Any, phase: str) -> Event:
        from sandbox import chatwoot_bodies
        from sandbox import webhook_sender as ws

        event = Event(delivery, tile_for(delivery.topic) or "", phase)
        url = f"{self.services.receiver_url}/webhooks/{delivery.source}"
        if delivery.source == "chatwoot":  # the URL registered for the account
            url = self.services.receiver_url + chatwoot_bodies.webhook_path(delivery.shop_domain)
        headers = ws.headers_for(
            delivery,
            shopify_secret=self.services.secrets["SHOPIFY_WEBHOOK_SECRET"],
            chatwoot_secret=self.services.secrets["CHATWOOT_WEBHOOK_SECRET"],
        )
        with self.lock:
            self.events.append(event)
        event.sent = time.time()
        try:
            reply = self.session.post(url, data=delivery.body, headers=headers, timeout=60)
            event.http_status = reply.status_code
            event.receiver_status = str((reply.json() or {}).get("status", ""))[:40]
        except (requests.RequestException, ValueError) as exc:
            event.receiver_status = f"error: {type(exc).__name__}"
        event.acked = time.time()
        if not 200 <= event.http_status < 300:
            event.lost = f"receiver answered {event.http_status or event.receiver_status}"
        return event

    def unfinished_runs(self) -> int:
        """Runs of the job or its checks job queued or running, counting as one the checks run
        the sensor is yet to start after the newest run's success."""
        runs = [*self.runs, *self.check_runs]
        unfinished = sum(1 for r in runs if r["status"] in UNFINISHED)
        newest = self.runs[-1] if self.runs else None
        followed = {r["checks_for"] for r in self.check_runs}
        if newest and newest["status"] == "SUCCESS" and newest["run_id"] not in followed:
            unfinished += 1
        return unfinished

    def _watch(self) -> None:
        conn = connect(self.url, autocommit=True)
        schema = marts_schema()
        try:
            while not self._stop.is_set():
                try:
                    self._look(conn, schema)
                except (psycopg2.Error, requests.RequestException, RuntimeError, ValueError):
                    self.watch_errors += 1  # a missing view mid-swap, a slow GraphQL answer
                    if conn.closed:
                        conn = connect(self.url, autocommit=True)
                self._stop.wait(WATCH_INTERVAL_S)
        finally:
            conn.close()

    def _look(self, conn: Any, schema: str) -> None:
        with self.lock:
            events = list(self.events)
        self.runs = self.services.dagster.runs()
        self.check_runs = self.services.dagster.runs(CHECKS_JOB)
        waiting = [e for e in events if e.received_at is None and e.acked is not None]
        with conn.cursor() as cur:
            if waiting:
                cur.execute(
                    "select delivery_id, received_at from raw_app.webhook_events "
                    "where delivery_id = any(%s)",
                    ([e.delivery.delivery_id for e in waiting],),
                )
                landed = dict(cur.fetchall())
                for e in waiting:
                    e.received_at = landed.get(e.delivery.delivery_id)
            marks: dict[tuple[str, str], float] = {}
            for _prefixes, tile in TILES:
                cur.execute(
                    sql.SQL(
                        "select shop_domain, extract(epoch from window_end)::float8 from {}.{}"
                    ).format(sql.Identifier(schema), sql.Identifier(tile))
                )
                for shop, mark in cur.fetchall():
                    marks[(tile, shop)] = mark
        self.looks += 1
        now = time.time()
        by_id = {r["run_id"]: r for r in self.runs}
        for e in events:
            if e.received_at is None or e.settled:
                continue
            if e.run:
                e.run.update(by_id.get(e.run["run_id"], {}))
            else:
                covering = next((r for r in self.runs if _covers(r, e.received_at)), None)
                if covering is None:
                    continue
                e.run = dict(covering)
            started = e.run.get("started")
            mark = marks.get((e.tile, e.delivery.shop_domain))
            if started is not None and mark is not None and mark >= started:
                e.visible_at = now
            elif e.run.get("ended") is not None:  # read before the marks: they are final
                e.lost = f"run {e.run['run_id'][:8]} ended {e.run['status']} without the tile"
        for e in events:  # runs that end after the event became visible
            if e.run and e.run.get("ended") is None and e.run["run_id"] in by_id:
                e.run.update(by_id[e.run["run_id"]])

    def wait(self, events: list[Event], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(e.settled for e in events):
                return
            time.sleep(WATCH_INTERVAL_S)

    def wait_idle(self, timeout: float) -> None:
        """Until a fresh look finds no run of the job or of its checks job queued or running (a
        single webhook meets an idle path)."""
        seen = self.looks
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.looks > seen and not self.unfinished_runs():
                return
            time.sleep(WATCH_INTERVAL_S)


# --- the deliveries -----------------------------------------------------------------------------


def deliveries(
    sandbox_url: str, advance: Callable[[], dict], needed: int, max_days: int = CLOCK_DAYS_BACK
) -> tuple[list[Any], int]:
    """Deliveries of the stand-in's own changes that the sensor acts on: the clock advanced a
    day at a time until there are ``needed``; (deliveries, days advanced)."""
    from sandbox import webhook_sender as ws

    since = len(ws.fetch_changes(sandbox_url, 0))
    found: list[Any] = []
    days = 0
    while len(found) < needed and days < max_days:
        advance()
        days += 1
        changes = ws.fetch_changes(sandbox_url, since)
        since += len(changes)
        # bodies from every change (a message's body names its conversation), kept when the
        # sensor acts on the topic
        built = ws.build_deliveries(changes, seed=days)
        found.extend(d for d in built if tile_for(d.topic))
    if len(found) < needed:
        raise RuntimeError(
            f"the stand-in made only {len(found)} order/conversation changes in {days} days; "
            "run the realtime stage with more --orders or fewer --webhooks"
        )
    return found, days


# --- the figures --------------------------------------------------------------------------------


def latency_figures(events: list[Event]) -> dict[str, Any]:
    seen = [e.visible_at - e.sent for e in events if e.visible_at is not None]
    rows = [e.breakdown() for e in events]

    def median(key: str) -> float | None:
        values = [r[key] for r in rows if r[key] is not None]
        return round(statistics.median(values), 3) if values else None

    return {
        "events": len(events),
        "visible": len(seen),
        "not_visible": len(events) - len(seen),
        "lost": [e.lost for e in events if e.lost],
        "receiver_statuses": _count(r["receiver_status"] for r in rows),
        "p50_s": round(percentile(seen, 50), 2) if seen else None,
        "p95_s": round(percentile(seen, 95), 2) if seen else None,
        "max_s": round(max(seen), 2) if seen else None,
        "breakdown_median_s": {
            k: median(k)
            for k in (
                "receiver_s",
                "sensor_pickup_s",
                "run_start_s",
                "step_start_s",
                "step_to_visible_s",
                "run_to_visible_s",
                "run_seconds",
            )
        },
        "runs": len({e.run["run_id"] for e in events if e.run}),
        "per_event": rows,
    }


def queue_figures(samples: list[dict[str, Any]], rate: float) -> dict[str, Any]:
    """The queue over the stream, and whether it stayed bounded: the peak of the events waiting
    in the stream's second half is at most 1.5 times that of its first half (a queue growing
    without bound keeps rising; a bounded one repeats the same saw-tooth, one run's worth)."""
    during = [s for s in samples if s["during_stream"]]
    half = len(during) // 2
    first = max((s["events_not_visible"] for s in during[:half]), default=0)
    second = max((s["events_not_visible"] for s in during[half:]), default=0)
    return {
        "samples": samples,
        "sample_interval_s": SAMPLE_INTERVAL_S,
        "rate_per_s": rate,
        "max_unfinished_runs": max((s["runs_unfinished"] for s in samples), default=0),
        "max_runs_queued": max((s["runs_queued"] for s in samples), default=0),
        "max_checks_runs_unfinished": max(
            (s.get("checks_runs_unfinished", 0) for s in samples), default=0
        ),
        "max_events_waiting_for_a_run": max(
            (s["events_waiting_for_a_run"] for s in samples), default=0
        ),
        "max_events_not_visible": max((s["events_not_visible"] for s in samples), default=0),
        "events_not_visible_peak_first_half": first,
        "events_not_visible_peak_second_half": second,
        "bounded": bool(during) and second <= max(1.5 * first, first + 2 * rate),
    }


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


# --- the two measurements -----------------------------------------------------------------------


def single_webhooks(
    tracker: Tracker, pool: list[Any], count: int, out: Callable[[str], None]
) -> list[Event]:
    """``count`` webhooks one at a time: each sent when no run is unfinished, waited for."""
    events = []
    for i in range(count):
        tracker.wait_idle(EVENT_TIMEOUT_S)
        event = tracker.send(pool.pop(0), "single")
        tracker.wait([event], EVENT_TIMEOUT_S)
        events.append(event)
        b = event.breakdown()
        out(
            f"  webhook {i + 1}/{count} {b['topic']}: to tile {_s(b['webhook_to_tile_s'])} "
            f"(receiver {_s(b['receiver_s'])}, sensor {_s(b['sensor_pickup_s'])}, run start "
            f"{_s(b['run_start_s'])}, run to visible {_s(b['run_to_visible_s'])})"
        )
    tracker.wait_idle(EVENT_TIMEOUT_S)
    return events


def stream(
    tracker: Tracker,
    pool: list[Any],
    seconds: float,
    rate: float,
    out: Callable[[str], None],
) -> tuple[list[Event], list[dict[str, Any]]]:
    """One webhook every 1/``rate`` s for ``seconds``; the queue sampled every few seconds, until
    every event is visible (or EVENT_TIMEOUT_S after the last one)."""
    total = max(1, int(seconds * rate))
    events: list[Event] = []
    samples: list[dict[str, Any]] = []
    started = time.time()
    sending = threading.Event()
    sending.set()

    def sender() -> None:
        try:
            for i in range(min(total, len(pool))):
                delay = started + i / rate - time.time()
                if delay > 0:
                    time.sleep(delay)
                events.append(tracker.send(pool.pop(0), "stream"))
        finally:
            sending.clear()

    thread = threading.Thread(target=sender, name="bench-stream-sender", daemon=True)
    thread.start()
    deadline = None
    while True:
        time.sleep(SAMPLE_INTERVAL_S)
        current = list(events)
        runs = list(tracker.runs)
        sample = {
            "t_s": round(time.time() - started, 1),
            "during_stream": sending.is_set(),
            "sent": len(current),
            "runs_queued": sum(1 for r in runs if r["status"] in ("QUEUED", "NOT_STARTED")),
            "runs_running": sum(1 for r in runs if r["status"] in ("STARTING", "STARTED")),
            "runs_unfinished": sum(1 for r in runs if r["status"] in UNFINISHED),
            "checks_runs_unfinished": sum(
                1 for r in tracker.check_runs if r["status"] in UNFINISHED
            ),
            "events_waiting_for_a_run": sum(
                1 for e in current if e.received_at is not None and not e.run
            ),
            "events_not_visible": sum(1 for e in current if not e.settled),
        }
        samples.append(sample)
        if int(sample["t_s"]) % 30 < SAMPLE_INTERVAL_S:
            out(
                f"  stream t={sample['t_s']:.0f}s sent {sample['sent']}, runs unfinished "
                f"{sample['runs_unfinished']}, events not yet visible "
                f"{sample['events_not_visible']}"
            )
        if not sending.is_set():
            deadline = deadline or time.monotonic() + EVENT_TIMEOUT_S
            if all(e.settled for e in current) or time.monotonic() > deadline:
                break
    thread.join(timeout=60)
    tracker.wait_idle(EVENT_TIMEOUT_S)
    return events, samples


def _covers(run: dict[str, Any], received_at: datetime) -> bool:
    """The run took the event: its run key names the newest event it took (the sensor's
    cursor), else (no key) it was created after the event landed."""
    if run["stamp"] is not None:
        return run["stamp"] >= received_at
    return run["created"] >= received_at.timestamp()


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


# --- the stage ----------------------------------------------------------------------------------


@dataclass
class RealtimeOptions:
    webhooks: int = 20
    stream_seconds: float = 300.0
    stream_rate: float = 1.0
    keep_database: bool = False


def run_stage(
    url: DatabaseUrl,
    served: Any,  # benchmarks.harness.sandbox.ServedSandbox
    work: Path,
    as_of: str,
    options: RealtimeOptions,
    sampler: Any,  # benchmarks.harness.memory.PeakSampler
    out: Callable[[str], None],
) -> dict[str, Any]:
    """After the extraction: a build without tests (sets the warehouse up), a full `dbt build`
    under the poller, the pool of changes, then the single webhooks and the stream."""
    paths = stages.dbt_paths(work)
    figures: dict[str, Any] = {}
    out("[3/5] setup build: `dbt build` without tests (creates every view; not polled)")
    with sampler.stage("realtime_setup_build") as peak:
        setup = stages.dbt_build(
            url, paths, "dbt build (setup)", out, as_of=as_of, extra=SETUP_BUILD_ARGS
        )
    figures["setup_build"] = _build_figures(setup) | peak
    if setup["returncode"] != 0:
        raise RuntimeError("the setup build failed; see the dbt lines above")
    views = contract_views()
    shop = served.shops[0] if served.shops else ""
    with ContractPoller(url, views, shop) as poller:
        out(f"[4/5] full dbt build while a poller reads the {len(views)} contract views in a loop")
        poller.phase = "full_build"
        with sampler.stage("realtime_full_build") as peak:
            full = stages.dbt_build(url, paths, "dbt build (polled)", out, as_of=as_of)
        poller.phase = None
        figures["full_build"] = {
            **_build_figures(full),
            **peak,
            "poller": poller.figures("full_build"),
        }
        p = figures["full_build"]["poller"]
        out(
            f"  {full['seconds']:,.1f}s, {full['statuses']}; poller: {p['reads']:,} reads in "
            f"{p['loops']:,} passes, {p['errors']} errors, slowest read {p['max_read_ms']} ms"
        )
        needed = options.webhooks + max(1, int(options.stream_seconds * options.stream_rate)) + 5
        t0 = time.perf_counter()
        pool, days = deliveries(served.url, served.advance, needed)
        figures["changes"] = {
            "days_advanced": days,
            "deliveries": len(pool),
            "seconds": round(time.perf_counter() - t0, 1),
            "topics": _count(d.topic for d in pool),
        }
        out(f"  the stand-in advanced {days} day(s): {len(pool):,} order/conversation changes")
        out("[5/5] real time: receiver, dagster dev (daemon + code location), webhook sensor")
        from orchestration.defs.sensors import DEFAULT_INTERVAL_S, INTERVAL_ENV

        services: Services | None = None
        try:
            services = start_services(url, served.env, work, out)
            figures["services"] = {
                "start_seconds": round(services.started_s, 1),
                "sensor_first_tick_seconds": round(services.sensor_first_tick_s, 1),
                "sensor_interval_s": env_int(INTERVAL_ENV, DEFAULT_INTERVAL_S),
            }
            out(
                f"  started in {services.started_s:,.1f}s; {options.webhooks} single webhooks, "
                f"one at a time"
            )
            with Tracker(url, services) as tracker, sampler.stage("realtime") as peak:
                poller.phase = "single"
                singles = single_webhooks(tracker, pool, options.webhooks, out)
                poller.phase = "stream"
                out(
                    f"  stream: {options.stream_rate:g} webhook/s for "
                    f"{options.stream_seconds:,.0f}s"
                )
                streamed, samples = stream(
                    tracker, pool, options.stream_seconds, options.stream_rate, out
                )
                poller.phase = None
                runs = list(tracker.runs)
                check_runs = list(tracker.check_runs)
            steps = services.dagster.step_starts({r["run_id"] for r in runs})
            for e in [*singles, *streamed]:
                if e.run:
                    e.run["step_started"] = steps.get(e.run["run_id"])
            figures["single"] = {**latency_figures(singles), "poller": poller.figures("single")}
            figures["stream"] = {
                **latency_figures(streamed),
                "queue": queue_figures(samples, options.stream_rate),
                "poller": poller.figures("stream"),
            }
            figures["runs"] = _run_figures(runs)
            figures["checks_runs"] = _run_figures(check_runs)
            figures["watch_errors"] = tracker.watch_errors
            if figures["runs"]["failed"] or figures["checks_runs"]["failed"]:
                out("  failed runs; the tail of dagster dev's log:")
                out(services.dagster.service.tail(40))
        finally:
            if services is not None:
                services.stop()
            if not options.keep_database:
                drop_dagster_storage(url)
    phases = ("full_build", "single", "stream")
    figures["poller"] = {
        "views": len(views),
        "reads": sum(poller.figures(p)["reads"] for p in phases),
        "errors": sum(poller.figures(p)["errors"] for p in phases),
        "error_samples": poller.error_samples,
    }
    s, st = figures["single"], figures["stream"]
    out(
        f"  single: p50 {s['p50_s']} s, p95 {s['p95_s']} s ({s['visible']}/{s['events']} "
        f"visible); stream: p50 {st['p50_s']} s, p95 {st['p95_s']} s ({st['visible']}/"
        f"{st['events']}), at most {st['queue']['max_unfinished_runs']} run(s) unfinished; "
        f"checks runs {figures['checks_runs']['statuses']}; "
        f"contract-view errors {figures['poller']['errors']}"
    )
    return figures


SETUP_BUILD_ARGS = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]


def _build_figures(build: dict[str, Any]) -> dict[str, Any]:
    return {
        k: build.get(k)
        for k in ("seconds", "returncode", "statuses", "nodes", "tests_seconds", "failures")
    }


def _run_figures(runs: list[dict[str, Any]]) -> dict[str, Any]:
    durations = [r["ended"] - r["started"] for r in runs if r["ended"] and r["started"]]
    launch = [r["started"] - r["created"] for r in runs if r["started"]]
    return {
        "count": len(runs),
        "statuses": _count(r["status"] for r in runs),
        "failed": sum(1 for r in runs if r["status"] == "FAILURE"),
        "median_seconds": round(statistics.median(durations), 1) if durations else None,
        "median_launch_seconds": round(statistics.median(launch), 1) if launch else None,
        "events_per_run": [r["events"] for r in runs],
    }
