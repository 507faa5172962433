"""`hotrod webhooks register`: every handled topic subscribed once per shop and account, against
the stand-ins' webhookSubscriptions / webhookSubscriptionCreate and Chatwoot webhooks endpoints."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests
from graphql import parse, validate

from extractors import register, settings
from extractors.chatwoot import webhooks as chatwoot_webhooks
from extractors.errors import ConfigError
from extractors.shopify import notices
from sandbox.server.schema import shopify_schema
from tests.extractors.conftest import FAST_RETRIES, serve
from tests.sandbox.fake_store import SHOPS, FakeStore

RECEIVER = "https://hooks.example.test"


@pytest.fixture
def api():
    server = serve(FakeStore(orders=3))
    yield server
    server.stop()


def _env(url: str) -> dict[str, str]:
    return {
        "SHOPIFY_SHOP": ",".join(s[0] for s in SHOPS),
        "SHOPIFY_ACCESS_TOKEN": "shpat_sandbox_token",
        "SHOPIFY_API_BASE_URL": url + "/shops/{shop}",
        "CHATWOOT_URL": url,
        "CHATWOOT_API_TOKEN": "cw_sandbox_token",
        "CHATWOOT_ACCOUNT_ID": ",".join(f"{s[4]}={s[0]}" for s in SHOPS),
    }


def _run(url: str, dry_run: bool = False) -> list[register.Step]:
    cfg = settings.from_env(_env(url))
    return register.register(cfg, RECEIVER, dry_run=dry_run, policy=FAST_RETRIES)


def test_the_documents_are_valid_against_the_admin_schema():
    for name, document in register.DOCUMENTS.items():
        assert validate(shopify_schema(), parse(document)) == [], name
    assert register.enum_of("inventory_levels/update") == "INVENTORY_LEVELS_UPDATE"
    topics = shopify_schema().get_type("WebhookSubscriptionTopic").values
    assert all(register.enum_of(t) in topics for t in notices.TOPICS)


def test_a_dry_run_creates_nothing(api):
    steps = _run(api.url, dry_run=True)
    assert {s.status for s in steps} == {"would create"}
    assert len(steps) == len(SHOPS) * len(notices.TOPICS) + len(SHOPS)
    again = _run(api.url, dry_run=True)
    assert {s.status for s in again} == {"would create"}


def test_register_subscribes_every_topic_once_and_is_idempotent(api):
    steps = _run(api.url)
    assert {s.status for s in steps} == {"created"}
    shopify = [s for s in steps if s.source == "shopify"]
    assert sorted(s.what for s in shopify if s.target == SHOPS[0][0]) == sorted(notices.TOPICS)
    assert {s.url for s in shopify} == {f"{RECEIVER}/webhooks/shopify"}
    chatwoot = [s for s in steps if s.source == "chatwoot"]
    assert [s.url for s in chatwoot] == [
        f"{RECEIVER}/webhooks/chatwoot?account={s[4]}" for s in SHOPS
    ]
    hooks = requests.get(
        f"{api.url}/api/v1/accounts/1/webhooks",
        headers={"api_access_token": "cw_sandbox_token"},
        timeout=10,
    ).json()
    assert [h["url"] for h in hooks] == [f"{RECEIVER}/webhooks/chatwoot?account=1"]
    assert sorted(hooks[0]["subscriptions"]) == sorted(chatwoot_webhooks.EVENTS)
    second = _run(api.url)
    assert {s.status for s in second} == {"exists"}
    assert len(second) == len(steps)


def test_a_receiver_url_is_required(api):
    with pytest.raises(ConfigError, match="HOTROD_WEBHOOK_URL"):
        register.register(settings.from_env(_env(api.url)), "hooks.example.test")


def test_the_command_prints_its_plan(api):
    env = {**os.environ, **_env(api.url), "HOTROD_WEBHOOK_URL": RECEIVER}
    done = subprocess.run(
        [sys.executable, "-m", "hotrod.cli", "webhooks", "register", "--dry-run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    planned = len(SHOPS) * (len(notices.TOPICS) + 1)
    assert lines[-1] == f"webhooks: {planned} to create (dry run), 0 already registered"
    assert any("orders/delete" in line and "would create" in line for line in lines)
