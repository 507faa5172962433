"""Sources are explicit: nothing stands in for an absent one, the sandbox starts only when asked."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from hotrod import sources
from warehouse.settings import REPO_ROOT

SOURCE_SETTINGS = (
    "HOTROD_SOURCES",
    "SHOPIFY_SHOP",
    "SHOPIFY_ACCESS_TOKEN",
    "SHOPIFY_API_BASE_URL",
    "CHATWOOT_URL",
    "CHATWOOT_API_TOKEN",
    "CHATWOOT_ACCOUNT_ID",
    "HOTROD_APP_API_URL",
    "HOTROD_APP_API_TOKEN",
    "GA4_PROPERTY_ID",
    "GA4_CREDENTIALS_FILE",
    "GA4_ACCESS_TOKEN",
)

# Materialize the extraction assets with nothing configured, in a fresh interpreter, and report
# each step failure and whether any sandbox module was ever imported.
_MATERIALIZE = """
import json, sys
import dagster as dg
from orchestration.defs.extract import raw_keys
from orchestration.defs.loader import build_definitions
from orchestration.defs.schedules import MATERIALIZE_ALL

job = build_definitions().resolve_job_def(MATERIALIZE_ALL)
with dg.DagsterInstance.ephemeral() as instance:
    result = job.execute_in_process(
        instance=instance, asset_selection=raw_keys(), raise_on_error=False
    )
failures = {
    e.step_key: e.event_specific_data.error.message for e in result.all_events if e.is_step_failure
}
sandbox = sorted(m for m in sys.modules if m == "sandbox" or m.startswith("sandbox."))
print(json.dumps({"success": result.success, "failures": failures, "sandbox": sandbox}))
"""


def _without_sources() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in SOURCE_SETTINGS}


def test_unconfigured_extraction_fails_in_one_line_naming_the_setting(module_db, tmp_path):
    env = _without_sources()
    env["HOTROD_DATABASE_URL"] = module_db.url
    out = subprocess.run(
        [sys.executable, "-c", _MATERIALIZE],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["success"] is False
    assert report["sandbox"] == []  # no sandbox was started, nor even imported
    failures = report["failures"]
    # GA4 is optional: unset, its assets are skipped with a warning rather than failing
    assert set(failures) == {"extract_shopify", "extract_chatwoot", "extract_app"}
    expected = {
        "extract_shopify": "SHOPIFY_SHOP is not set",
        "extract_chatwoot": "CHATWOOT_URL is not set",
        "extract_app": "HOTROD_APP_API_URL is not set",
    }
    for step, message in failures.items():
        line = message.strip()
        assert "\n" not in line, line
        assert expected[step] in line, line


def test_hotrod_run_without_sources_says_so_in_one_line_and_does_nothing(tmp_path):
    env = _without_sources()
    env["HOTROD_DATABASE_URL"] = "postgresql://nobody@127.0.0.1:1/nowhere"  # never reached
    out = subprocess.run(
        [sys.executable, "-m", "hotrod.cli", "run"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("hotrod: error: no source is configured: set SHOPIFY_SHOP")
    assert out.stdout == ""


def test_unknown_sources_value_is_refused():
    with pytest.raises(sources.SourcesError, match="HOTROD_SOURCES='shopify' is not known"):
        sources.check({"HOTROD_SOURCES": "shopify"})


def test_sandbox_asked_for_but_not_installed_is_one_line(monkeypatch):
    monkeypatch.setattr(sources, "entry_points", lambda group: [])
    with pytest.raises(sources.SourcesError, match="the sandbox is not installed"):
        sources.check({"HOTROD_SOURCES": "sandbox"})


def test_the_sandbox_plugin_is_the_installed_sandbox():
    serve = sources.check({"HOTROD_SOURCES": "sandbox"})
    assert serve.__module__ == "sandbox.launch"
    [entry] = [e for e in sources.entry_points(group="hotrod.sources") if e.name == "sandbox"]
    assert entry.value == "sandbox.launch:serve"


def test_configured_sources_need_no_sandbox():
    env = {"SHOPIFY_SHOP": "hot-rod-an.myshopify.com", "SHOPIFY_ACCESS_TOKEN": "t"}
    assert sources.check(env) is None
