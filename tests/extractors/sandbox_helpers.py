"""Helpers for extractor tests against the sandbox stand-ins (tests may import sandbox)."""

from __future__ import annotations

import json
from collections.abc import Mapping

import requests

from extractors import settings
from warehouse.connection import connect
from warehouse.settings import DatabaseUrl

SEED = 7


def sandbox_env(server_url: str, store) -> dict[str, str]:
    shops = [shop["domain"] for shop in store.shops()]
    return {
        "SHOPIFY_SHOP": ",".join(shops),
        "SHOPIFY_ACCESS_TOKEN": "shpat_sandbox_token",
        "SHOPIFY_API_BASE_URL": server_url + "/shops/{shop}",
        "CHATWOOT_URL": server_url,
        "CHATWOOT_API_TOKEN": "cw_sandbox_token",
        "CHATWOOT_ACCOUNT_ID": ",".join(f"{i + 1}={s}" for i, s in enumerate(shops)),
        "HOTROD_APP_API_URL": server_url,
        "HOTROD_APP_API_TOKEN": "app_sandbox_token",
        "SHOPIFY_WEBHOOK_SECRET": "sandbox_shopify_secret",
        "CHATWOOT_WEBHOOK_SECRET": "sandbox_chatwoot_secret",
    }


def sandbox_settings(server_url: str, store) -> settings.Settings:
    return settings.from_env(sandbox_env(server_url, store))


def truth_counts(store) -> dict[tuple[str, str], int]:
    """{(shop, "source.entity"): count} from the sandbox truth."""
    truth = store.truth()
    return {
        (shop, key): n
        for shop, figures in truth["shops"].items()
        for key, n in figures["counts"].items()
    }


def raw_counts(url: DatabaseUrl, keys) -> dict[tuple[str, str], int]:
    conn = connect(url, autocommit=True)
    try:
        with conn.cursor() as cur:
            out = {}
            for shop, key in keys:
                source, entity = key.split(".")
                cur.execute(
                    f"select count(*) from raw_{source}.{entity} where shop_domain = %s", (shop,)
                )
                out[(shop, key)] = cur.fetchone()[0]
            return out
    finally:
        conn.close()


def assert_counts_exact(url: DatabaseUrl, store) -> None:
    expected = truth_counts(store)
    got = raw_counts(url, expected)
    wrong = {k: (expected[k], got[k]) for k in expected if expected[k] != got[k]}
    assert not wrong, f"raw counts differ from the sandbox truth (truth, raw): {wrong}"


def raw_payloads(url: DatabaseUrl, source: str, entity: str) -> dict[tuple[str, str], dict]:
    conn = connect(url, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(f"select shop_domain, id, payload from raw_{source}.{entity}")
            return {(shop, rid): payload for shop, rid, payload in cur.fetchall()}
    finally:
        conn.close()


def store_payloads(store, source: str, entity: str) -> dict[tuple[str, str], dict]:
    out = {}
    for shop in store.shops():
        for record in store.iter_records(source, entity, shop["domain"]):
            out[(shop["domain"], str(record.id))] = record.payload
    return out


def canon(value) -> str:
    return json.dumps(value, sort_keys=True)


def query(url: DatabaseUrl, sql: str, args: Mapping | tuple = ()) -> list[tuple]:
    conn = connect(url, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args or None)
            return cur.fetchall()
    finally:
        conn.close()


def extract_states(url: DatabaseUrl, source: str, entity: str) -> dict[str, dict]:
    """{shop: extract state} of one source's entity."""
    rows = query(
        url,
        "select shop_domain, state from raw_app.extract_state where source = %s and entity = %s",
        (source, entity),
    )
    return dict(rows)


def advance_sandbox(server_url: str, days: int = 1) -> list[dict]:
    """Advance the served sandbox (through the server, so its caches follow the store); the
    changes it made."""
    advanced = requests.post(f"{server_url}/_sandbox/advance", json={"days": days}, timeout=120)
    assert advanced.status_code == 200
    return requests.get(f"{server_url}/_sandbox/changes", timeout=60).json()["changes"]
