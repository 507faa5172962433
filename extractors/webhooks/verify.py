"""Signature checks (constant-time) for Shopify and Chatwoot webhook deliveries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

# Chatwoot signs ``{timestamp}.{body}``; a signature whose timestamp is further than this from the
# receiver's clock (either way) is refused, so a captured delivery cannot be replayed later.
CHATWOOT_MAX_AGE_S = 300


def shopify_signature(secret: str, body: bytes) -> str:
    """base64(HMAC-SHA256(secret, raw body)) — the X-Shopify-Hmac-Sha256 header value."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_shopify(secret: str, body: bytes, header: str | None) -> bool:
    if not secret or not header:
        return False
    return hmac.compare_digest(shopify_signature(secret, body), header.strip())


def chatwoot_signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` + hex HMAC-SHA256 of ``{timestamp}.{raw body}`` (Chatwoot webhook.secret)."""
    message = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_chatwoot(
    secret: str,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    max_age_s: int = CHATWOOT_MAX_AGE_S,
    now: float | None = None,
) -> bool:
    """True when the signature matches and its timestamp is within ``max_age_s`` seconds of now
    (replay protection; ``max_age_s`` 0 turns the age check off)."""
    if not secret or not signature or timestamp is None:
        return False
    if not hmac.compare_digest(chatwoot_signature(secret, timestamp, body), signature.strip()):
        return False
    if max_age_s <= 0:
        return True
    try:
        stamp = int(timestamp.strip())
    except ValueError:
        return False
    return abs((time.time() if now is None else now) - stamp) <= max_age_s
