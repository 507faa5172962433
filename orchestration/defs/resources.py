"""Dagster resources: the warehouse in effect, the extraction sources, and dbt.

Everything is read from the environment when a run starts, never at import time. When no
Shopify credentials are configured the extraction resource starts the local sandbox for the
duration of the run, so `dagster dev` works with zero configuration.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource
from pydantic import PrivateAttr

from orchestration.defs.project import DBT_PROFILES_DIR
from warehouse.settings import DatabaseUrl

log = logging.getLogger(__name__)

SANDBOX_ORDERS_DEFAULT = 2000
SANDBOX_SEED_DEFAULT = 42


def env_int(name: str, default: int) -> int:
    """An integer from the environment; unset or empty (a copied .env.example) means default."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


class WarehouseResource(dg.ConfigurableResource):
    """The Postgres warehouse: HOTROD_DATABASE_URL, else the embedded server (started if needed)."""

    def url(self) -> DatabaseUrl:
        from warehouse.connection import resolve

        return resolve()

    @contextlib.contextmanager
    def connect(self, autocommit: bool = True) -> Iterator[Any]:
        from warehouse.connection import connection

        with connection(self.url(), autocommit=autocommit) as conn:
            yield conn


def sources_configured(env: Mapping[str, str]) -> bool:
    """True when the environment names a real Shopify store (anything but the sandbox default)."""
    return bool(env.get("SHOPIFY_ACCESS_TOKEN", "").strip())


class ExtractionResource(dg.ConfigurableResource):
    """Runs the extractors. Sources come from SHOPIFY_*/CHATWOOT_*/HOTROD_APP_* variables; when
    SHOPIFY_ACCESS_TOKEN is unset, an in-process sandbox server stands in for all three."""

    sandbox_orders: int | None = None  # None: HOTROD_SANDBOX_ORDERS, else 2,000
    sandbox_seed: int | None = None  # None: HOTROD_SANDBOX_SEED, else 42

    _env: dict[str, str] = PrivateAttr(default_factory=dict)
    _server: Any = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        env = dict(os.environ)
        if not sources_configured(env):
            from orchestration.defs.sandbox import start_sandbox

            orders = self.sandbox_orders or env_int("HOTROD_SANDBOX_ORDERS", SANDBOX_ORDERS_DEFAULT)
            seed = self.sandbox_seed
            seed = env_int("HOTROD_SANDBOX_SEED", SANDBOX_SEED_DEFAULT) if seed is None else seed
            self._server, sandbox_env = start_sandbox(orders, seed)
            env.update(sandbox_env)
            if context.log:
                context.log.info(
                    f"no SHOPIFY_ACCESS_TOKEN: extracting from the local sandbox at "
                    f"{self._server.url} ({orders} orders, seed {seed})"
                )
        self._env = env

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    @property
    def source_label(self) -> str:
        if self._server is not None:
            return f"the sandbox at {self._server.url}"
        base = self._env.get("SHOPIFY_API_BASE_URL", "https://{shop}")
        return f"the configured sources (Shopify {base})"

    def extract(self, url: DatabaseUrl, source: str, entity: str, full: bool = False) -> Any:
        """Land one entity into its raw table; returns the extractor's result (load figures)."""
        from extractors.run import extract_entity
        from extractors.settings import from_env

        return extract_entity(url, from_env(self._env), source, entity, full=full)


def dbt_resource() -> DbtCliResource:
    """dbt CLI on the project; per-invocation target folders live under Dagster's target dir."""
    from hotrod.dbt_cli import dbt_executable
    from orchestration.defs.project import dbt_project

    return DbtCliResource(
        project_dir=dbt_project(),
        profiles_dir=str(DBT_PROFILES_DIR),
        dbt_executable=dbt_executable(),
    )


@contextlib.contextmanager
def dbt_environment(url: DatabaseUrl) -> Iterator[None]:
    """Temporarily export what a dbt invocation from Dagster reads from os.environ: the PG*
    variables of the profile, and DBT_TARGET_PATH (per-run folders and partial parsing state
    under Dagster's own target dir, apart from anyone's `dbt` runs)."""
    from orchestration.defs.project import target_dir

    values = url.libpq_env()
    values["DBT_TARGET_PATH"] = str(target_dir())
    saved = {name: os.environ.get(name) for name in [*values, "PGPASSWORD", "PGSSLMODE"]}
    for name in ("PGPASSWORD", "PGSSLMODE"):
        os.environ.pop(name, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
