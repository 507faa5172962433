"""No contract view is ever missing: a dashboard polls every view during rebuilds.

Postgres views bind to a table's OID, so dbt's rename-swap of a rebuilt table used to take the
views over it along into the dropped backup. The post-hook repoint_dependent_views recreates them
over the new table inside the swap's transaction. Here a poller, logged in as an operator with a
shop claim, reads each of the 48 contract views in a loop while (1) the whole project is rebuilt
and (2) one report and its views are rebuilt with a data test that fails, so dbt skips the views
downstream. The poller must never see an error, and afterwards the views read the new tables.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
import pytest

from sandbox.store import SandboxStore
from tests.dbt import test_views_contract as contract
from tests.security import support
from tests.support.contract_views import CONTRACT_VIEW_COUNT
from tests.support.dbt_runs import failure_summary, run_dbt_isolated
from tests.support.warehouse_templates import every_model
from warehouse.connection import connect
from warehouse.dbt_invocation import DBT_PROJECT_DIR, dbt_env, dbt_executable
from warehouse.settings import REPO_ROOT, DatabaseUrl

AS_OF = datetime(2026, 11, 20, 18, tzinfo=UTC)
VARS = ["--vars", json.dumps({"as_of": AS_OF.strftime("%Y-%m-%dT%H:%M:%SZ")})]
REPORT = "rpt_inventory_alerts"


def _views(url: DatabaseUrl) -> list[str]:
    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " where n.nspname = 'marts' and c.relkind = 'v' and c.relname like 'v\\_%'"
            " order by 1"
        )
        return [row[0] for row in cur.fetchall()]


class Poller(threading.Thread):
    """Reads every view in turn as a dashboard would, until stopped; keeps every error."""

    def __init__(self, url: DatabaseUrl, views: list[str], shop: str) -> None:
        super().__init__(daemon=True)
        self.url, self.views, self.shop = url, views, shop
        self.errors: list[str] = []
        self.reads = 0
        self.slowest = 0.0
        self._halt = threading.Event()

    def run(self) -> None:
        with support.operator_login(self.url) as conn:
            support.set_claim(conn, {"shop_domain": self.shop})
            with conn.cursor() as cur:
                while not self._halt.is_set():
                    for view in self.views:
                        started = time.perf_counter()
                        try:
                            cur.execute(f"select * from marts.{view} limit 5")  # noqa: S608
                            cur.fetchall()
                        except psycopg2.Error as exc:
                            self.errors.append(f"{view}: {str(exc).strip().splitlines()[0]}")
                        self.reads += 1
                        self.slowest = max(self.slowest, time.perf_counter() - started)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=60)


@pytest.fixture(scope="module")
def warehouse(warehouse_templates) -> Iterator[DatabaseUrl]:
    """Every model built on the sandbox of test_views_contract (the session builds it once),
    copied for this module."""
    with (
        SandboxStore.open(orders=contract.ORDERS, seed=contract.SEED, now=AS_OF) as store,
        warehouse_templates.copy(*every_model(store), "hotrod_mod") as url,
    ):
        yield url


def _project_with_failing_test(root: Path) -> Path:
    """A copy of the dbt project with one singular test that fails on the report."""
    project = root / "dbt_project"
    shutil.copytree(
        DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    (root / "seeds").symlink_to(REPO_ROOT / "seeds")
    (project / "tests" / "always_fails_on_report.sql").write_text(
        f"select * from {{{{ ref('{REPORT}') }}}}\n", encoding="utf-8"
    )
    return project


def _dbt_in(project: Path, url: DatabaseUrl, args: list[str]) -> subprocess.CompletedProcess:
    env = dbt_env(url)
    env["DBT_PROJECT_DIR"] = str(project)
    env["DBT_TARGET_PATH"] = str(project / "target")
    env["DBT_LOG_PATH"] = str(project / "logs")
    return subprocess.run(
        [dbt_executable(), *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=support._default_signals,  # noqa: PLW1509 - default signal handling in dbt
    )


def _view_reads(url: DatabaseUrl, view: str) -> str:
    """The relation a view selects from, by its current name."""
    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            "select distinct d.refobjid::regclass::text from pg_depend d"
            " join pg_rewrite r on r.oid = d.objid"
            " where r.ev_class = %s::regclass and d.refobjid <> r.ev_class"
            " and d.refclassid = 'pg_class'::regclass",
            (f"marts.{view}",),
        )
        return ",".join(sorted(row[0] for row in cur.fetchall()))


def test_views_stay_readable_through_a_full_and_a_failing_partial_build(warehouse, tmp_path):
    views = _views(warehouse)
    assert len([v for v in views if v.startswith("v_")]) == CONTRACT_VIEW_COUNT
    poller = Poller(warehouse, views, support.SHOPS[0])
    poller.start()
    try:
        time.sleep(1)
        full = run_dbt_isolated(warehouse, ["run", *VARS], tmp_path / "full")
        assert full.returncode == 0, failure_summary(full)
        reads_during_full_build = poller.reads

        project = _project_with_failing_test(tmp_path)
        partial = _dbt_in(project, warehouse, ["build", "--select", f"{REPORT}+", *VARS])
        assert partial.returncode != 0, "the planted test should fail the partial build"
        assert "always_fails_on_report" in partial.stdout
        assert "SKIP" in partial.stdout, "the views downstream of the failing test are skipped"
    finally:
        poller.stop()
    print(
        f"poller: {poller.reads} reads ({reads_during_full_build} by the end of the full build),"
        f" slowest {poller.slowest * 1000:.0f} ms"
    )
    assert not poller.errors, poller.errors[:10]
    assert reads_during_full_build > len(views), "the poller should have read during the build"
    # the views survived, over the report as rebuilt (no backup, no stale copy)
    assert len(_views(warehouse)) == len(views)
    assert _view_reads(warehouse, "v_inventory_alerts") == f"marts.{REPORT}"
    conn = connect(warehouse, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            "select count(*) from pg_class where relnamespace = 'marts'::regnamespace"
            " and (relname like '%\\_\\_dbt\\_backup' or relname like '%\\_\\_hotrod\\_stale\\_%')"
        )
        assert cur.fetchone()[0] == 0
        cur.execute(f"select count(*) from marts.{REPORT}")  # noqa: S608
        table_rows = cur.fetchone()[0]
        cur.execute("select count(*) from marts.v_inventory_alerts")
        assert cur.fetchone()[0] == table_rows


def test_a_view_that_no_longer_fits_its_table_reads_the_old_rows_until_rebuilt(warehouse, tmp_path):
    """A report whose new build retypes a column its view reads cannot be swapped under the
    view: the old table is kept (renamed stale) and the view reads it until its own model
    rebuilds it; then nothing stale remains."""
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    (tmp_path / "seeds").symlink_to(REPO_ROOT / "seeds")
    model = project / "models" / "reports" / "ceo" / "rpt_ceo_time_savings.sql"
    code = model.read_text(encoding="utf-8")
    column = "        automation_actions,\n"
    assert code.count(column) == 1
    retyped_column = "        'none'::text as automation_actions,\n"
    model.write_text(code.replace(column, retyped_column), encoding="utf-8")
    retyped = _dbt_in(project, warehouse, ["run", "--select", "rpt_ceo_time_savings", *VARS])
    assert retyped.returncode == 0, failure_summary(retyped)
    assert "__hotrod_stale_" in _view_reads(warehouse, "v_ceo_time_savings_30d")
    assert support.query(warehouse, "select count(*) from marts.v_ceo_time_savings_30d")[0][0] > 0

    restored = run_dbt_isolated(
        warehouse, ["run", "--select", "rpt_ceo_time_savings+", *VARS], tmp_path / "restore"
    )
    assert restored.returncode == 0, failure_summary(restored)
    assert _view_reads(warehouse, "v_ceo_time_savings_30d") == "marts.rpt_ceo_time_savings"
    assert not support.query(
        warehouse,
        "select relname from pg_class where relname like %s",
        ("%\\_\\_hotrod\\_stale\\_%",),
    )
