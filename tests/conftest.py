"""Shared fixtures: the warehouse server in effect and throw-away databases on it.

`make test` runs the suite in pytest-xdist workers: what a run shares across them (template
warehouses, one `dbt parse`) is in tests/support/shared_session.py; each worker keeps dbt's and
Dagster's default artifact folders to itself (pytest_configure below).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.support import shared_session
from tests.support.warehouse_templates import WarehouseTemplates, drop_run_templates
from warehouse.bootstrap import bootstrap
from warehouse.connection import connect, drop_database, resolve, running_url
from warehouse.settings import DatabaseUrl


def pytest_configure(config: pytest.Config) -> None:
    shared_session.start(config)
    if not shared_session.is_controller(config):
        # Two workers' dbt runs must not write one dbt_project/target, nor two Dagster runs one
        # .hotrod/dagster/dbt-target: each worker its own, unless a test names its own.
        own = shared_session.shared_run(config).folder / f"worker-{shared_session.worker_name()}"
        os.environ["DBT_TARGET_PATH"] = str(own / "dbt-target")
        os.environ["DBT_LOG_PATH"] = str(own / "dbt-target")
        os.environ["HOTROD_DAGSTER_DBT_TARGET"] = str(own / "dagster-dbt-target")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """pytest-xdist, in the controller: a new worker shares the controller's run."""
    shared_session.hand_to_worker(node.config, node.workerinput)


def pytest_unconfigure(config: pytest.Config) -> None:
    """The controller, after every worker ended: the run's templates and shared folder go."""
    if shared_session.is_controller(config):
        run = shared_session.shared_run(config)
        if any(run.folder.glob("template_*")):
            url = running_url()
            if url is not None:
                drop_run_templates(url, run.run_id)
        shared_session.finish(config)


@pytest.fixture(scope="session")
def server_url() -> DatabaseUrl:
    """The server tests run on: HOTROD_DATABASE_URL if set, else the embedded warehouse."""
    return resolve()


def _new_database(server_url: DatabaseUrl, prefix: str) -> DatabaseUrl:
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    url = server_url.with_database(name)
    bootstrap(url)
    return url


@pytest.fixture
def fresh_db(server_url: DatabaseUrl) -> Iterator[DatabaseUrl]:
    """A new, bootstrapped database, dropped after the test."""
    url = _new_database(server_url, "hotrod_test")
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture(scope="module")
def module_db(server_url: DatabaseUrl) -> Iterator[DatabaseUrl]:
    """A new, bootstrapped database shared by one test module, dropped after it."""
    url = _new_database(server_url, "hotrod_mod")
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture(scope="session")
def warehouse_templates(server_url: DatabaseUrl, request) -> Iterator[WarehouseTemplates]:
    """Built warehouses shared across modules (and workers) by key, copied per module (see the
    module)."""
    templates = WarehouseTemplates(server_url, shared_session.shared_run(request.config))
    try:
        yield templates
    finally:
        templates.close()


@pytest.fixture
def db_conn(fresh_db: DatabaseUrl):
    conn = connect(fresh_db, autocommit=True)
    try:
        yield conn
    finally:
        conn.close()
