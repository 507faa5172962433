"""Signature checks (constant-time) for Shopify and Chatwoot webhook deliveries."""

from __future__ import annotations

import base64
import hashlib
import hmac


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


def verify_chatwoot(secret: str, body: bytes, signature: str | None, timestamp: str | None) -> bool:
    if not secret or not signature or timestamp is None:
        return False
    return hmac.compare_digest(chatwoot_signature(secret, timestamp, body), signature.strip())
