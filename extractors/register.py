"""`hotrod webhooks register`: subscribe the receiver to every topic it handles, idempotently.

Shopify, per configured shop: the app's subscriptions are listed first (``webhookSubscriptions``);
every topic of ``extractors.shopify.notices.TOPICS`` without a subscription to
``{receiver}/webhooks/shopify`` is created with ``webhookSubscriptionCreate`` (JSON). The privacy
topics (customers/data_request, customers/redact, shop/redact) are set in the app's configuration
(Partner Dashboard or ``shopify.app.toml``), not through this API.

Chatwoot, per configured account: a webhook to ``{receiver}/webhooks/chatwoot?account=N`` (the
per-account URL: conversation events carry no account) subscribed to the events the receiver
applies is created with ``POST /api/v1/accounts/N/webhooks`` unless the account already has one.
``dry_run`` lists the same plan without creating anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from extractors.chatwoot import webhooks as chatwoot_webhooks
from extractors.chatwoot.client import ChatwootClient
from extractors.errors import ApiError, ConfigError
from extractors.http import HttpClient, RetryPolicy
from extractors.settings import Settings
from extractors.shopify import notices
from extractors.shopify.client import ShopifyClient

NAME = "hotrod"

SUBSCRIPTIONS_QUERY = """
query WebhookSubscriptions($after: String) {
  webhookSubscriptions(first: 250, after: $after) {
    edges { node { id topic uri } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

CREATE_MUTATION = """
mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}
"""

DOCUMENTS = {"webhook_subscriptions": SUBSCRIPTIONS_QUERY, "webhook_create": CREATE_MUTATION}


@dataclass(frozen=True)
class Step:
    source: str  # shopify | chatwoot
    target: str  # shop domain or "account N"
    what: str  # topic, or the Chatwoot events
    url: str
    status: str  # exists | created | would create

    def line(self) -> str:
        return f"{self.source:8} {self.target:34} {self.what:28} {self.url}  {self.status}"


def enum_of(topic: str) -> str:
    """``orders/create`` -> ``ORDERS_CREATE`` (WebhookSubscriptionTopic)."""
    return topic.replace("/", "_").upper()


def receiver_urls(base: str) -> tuple[str, Callable[[str], str]]:
    base = base.strip().rstrip("/")
    if not base.startswith(("https://", "http://")):
        raise ConfigError(
            "HOTROD_WEBHOOK_URL must be the receiver's public base URL, e.g. "
            "https://hooks.example.com (or pass --url)"
        )
    return f"{base}/webhooks/shopify", lambda account: f"{base}/webhooks/chatwoot?account={account}"


def shopify_subscriptions(client: ShopifyClient) -> set[tuple[str, str]]:
    """(topic enum, uri) of every subscription of the app on the shop."""
    found: set[tuple[str, str]] = set()
    after: str | None = None
    while True:
        page = client.query(SUBSCRIPTIONS_QUERY, {"after": after}).get("webhookSubscriptions")
        page = page or {}
        for edge in page.get("edges") or []:
            node = edge.get("node") or {}
            found.add((str(node.get("topic")), str(node.get("uri"))))
        info = page.get("pageInfo") or {}
        if not info.get("hasNextPage"):
            return found
        after = info.get("endCursor")


def register_shopify(client: ShopifyClient, shop: str, uri: str, dry_run: bool) -> list[Step]:
    existing = shopify_subscriptions(client)
    steps = []
    for topic in notices.TOPICS:
        if (enum_of(topic), uri) in existing:
            steps.append(Step("shopify", shop, topic, uri, "exists"))
            continue
        if dry_run:
            steps.append(Step("shopify", shop, topic, uri, "would create"))
            continue
        data = client.query(CREATE_MUTATION, {"topic": enum_of(topic), "uri": uri})
        result = data.get("webhookSubscriptionCreate") or {}
        errors = result.get("userErrors") or []
        if errors or not result.get("webhookSubscription"):
            text = "; ".join(str(e.get("message")) for e in errors) or "no subscription returned"
            raise ApiError(f"{shop}: webhookSubscriptionCreate {topic} refused: {text}")
        steps.append(Step("shopify", shop, topic, uri, "created"))
    return steps


def register_chatwoot(client: ChatwootClient, url: str, dry_run: bool) -> Step:
    target = f"account {client.account_id}"
    events = sorted(chatwoot_webhooks.EVENTS)
    what = f"{len(events)} events"
    if any(str(hook.get("url")) == url for hook in client.webhooks()):
        return Step("chatwoot", target, what, url, "exists")
    if dry_run:
        return Step("chatwoot", target, what, url, "would create")
    client.create_webhook(url, events, NAME)
    return Step("chatwoot", target, what, url, "created")


def register(
    settings: Settings,
    receiver: str,
    dry_run: bool = False,
    policy: RetryPolicy | None = None,
    report: Callable[[Step], Any] = lambda step: None,
) -> list[Step]:
    """Subscribe every configured shop and Chatwoot account; the steps, in order."""
    shopify_uri, chatwoot_url = receiver_urls(receiver)
    steps: list[Step] = []
    configured = False
    if (settings.env.get("SHOPIFY_SHOP") or "").strip():
        configured = True
        cfg = settings.shopify()
        for shop in cfg.shops:
            http = HttpClient(ShopifyClient.headers(cfg.access_token), policy)
            try:
                client = ShopifyClient(http, cfg.graphql_url(shop))
                for step in register_shopify(client, shop, shopify_uri, dry_run):
                    steps.append(step)
                    report(step)
            finally:
                http.close()
    if (settings.env.get("CHATWOOT_URL") or "").strip():
        configured = True
        cw = settings.chatwoot()
        http = HttpClient(ChatwootClient.headers(cw.api_token), policy)
        try:
            for account, _shop in cw.accounts:
                client = ChatwootClient(http, cw.url, account)
                step = register_chatwoot(client, chatwoot_url(account), dry_run)
                steps.append(step)
                report(step)
        finally:
            http.close()
    if not configured:
        raise ConfigError("nothing to register: set SHOPIFY_SHOP and/or CHATWOOT_URL")
    return steps
