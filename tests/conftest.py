"""Shared fixtures: the warehouse server in effect and throw-away databases on it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.support.warehouse_templates import WarehouseTemplates
from warehouse.bootstrap import bootstrap
from warehouse.connection import connect, drop_database, resolve
from warehouse.settings import DatabaseUrl


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
def warehouse_templates(server_url: DatabaseUrl) -> Iterator[WarehouseTemplates]:
    """Built warehouses shared across modules by key, copied per module (see the module)."""
    templates = WarehouseTemplates(server_url)
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
