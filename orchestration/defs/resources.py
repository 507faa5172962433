"""Dagster resources: the warehouse in effect, the extraction sources, and dbt.

Everything is read from the environment when a run starts, never at import time. Sources are
configured (SHOPIFY_*, CHATWOOT_*, HOTROD_APP_*, GA4_*) or absent: nothing stands in for an absent
one, and its extraction assets fail with one line naming the missing setting (GA4, optional, is
skipped with a warning when GA4_PROPERTY_ID is unset). The demo sandbox is
started by the ``hotrod`` CLI (``HOTROD_SOURCES=sandbox``), which passes its settings down.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from functools import cached_property
from importlib.metadata import version as package_version
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource
from packaging import version

from extractors.errors import ConfigError, redact
from extractors.run import extract_entity
from extractors.settings import from_env
from orchestration.defs.project import dbt_project
from warehouse.connection import connection, resolve
from warehouse.dbt_invocation import DBT_PROFILES_DIR, dbt_executable
from warehouse.settings import DatabaseUrl

SOURCES_ENV = "HOTROD_SOURCES"


class WarehouseResource(dg.ConfigurableResource):
    """The Postgres warehouse: HOTROD_DATABASE_URL, else the embedded server (started if needed)."""

    def url(self) -> DatabaseUrl:
        return resolve()

    @contextlib.contextmanager
    def connect(self, autocommit: bool = True) -> Iterator[Any]:
        with connection(self.url(), autocommit=autocommit) as conn:
            yield conn


def unconfigured_message(source: str, error: ConfigError) -> str:
    """One line: which setting is missing, and how the demo gets its sources instead."""
    hint = (
        f"{SOURCES_ENV}=sandbox only takes effect through `hotrod run` or `hotrod dagster dev`"
        if os.environ.get(SOURCES_ENV, "").strip()
        else f"for the demo sandbox run `make dagster` ({SOURCES_ENV}=sandbox)"
    )
    return f"{source} is not configured: {error}; {hint}"


class ExtractionResource(dg.ConfigurableResource):
    """Runs the extractors against the sources configured in the environment."""

    def source_label(self, source: str) -> str:
        env = os.environ
        where = {
            "shopify": env.get("SHOPIFY_API_BASE_URL") or "https://{shop}",
            "chatwoot": env.get("CHATWOOT_URL") or "(CHATWOOT_URL unset)",
            "app": env.get("HOTROD_APP_API_URL") or "(HOTROD_APP_API_URL unset)",
            "ga4": env.get("GA4_API_URL") or "https://analyticsdata.googleapis.com",
        }
        return redact(f"{source} at {where.get(source, '?')}")  # a URL's password never shows

    def extract(
        self,
        url: DatabaseUrl,
        source: str,
        entity: str,
        full: bool = False,
        shops: Sequence[str] | None = None,
    ) -> Any:
        """Land one entity into its raw table (every configured shop, or only ``shops``);
        returns the extractor's result (load figures)."""
        try:
            return extract_entity(url, from_env(), source, entity, full=full, shops=shops)
        except ConfigError as exc:
            raise dg.Failure(description=unconfigured_message(source, exc)) from None


class HotrodDbtCli(DbtCliResource):
    """dagster-dbt's dbt CLI resource, told its dbt version by the installed package: dagster-dbt
    asks the executable (`dbt --version`, a dbt start of ~3 s) in every run worker before its
    first dbt command, and the executable here is always the venv's dbt-core (issue 17)."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(package_version("dbt-core"))


def dbt_resource() -> DbtCliResource:
    """dbt CLI on the project; per-invocation target folders live under Dagster's target dir."""
    return HotrodDbtCli(
        project_dir=dbt_project(),
        profiles_dir=str(DBT_PROFILES_DIR),
        dbt_executable=dbt_executable(),
    )
