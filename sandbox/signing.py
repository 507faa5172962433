"""Webhook signatures, exactly as the two platforms compute them.

* Shopify: ``X-Shopify-Hmac-Sha256`` = base64(HMAC-SHA256(secret, raw body)).
* Chatwoot (OpenAPI ``webhook.secret``): ``X-Chatwoot-Signature`` = ``"sha256="`` + hex
  HMAC-SHA256(secret, ``"{X-Chatwoot-Timestamp}.{raw body}"``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def shopify_hmac(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_shopify(secret: str, body: bytes, header: str | None) -> bool:
    return bool(header) and hmac.compare_digest(shopify_hmac(secret, body), str(header))


def chatwoot_signature(secret: str, timestamp: str, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_chatwoot(secret: str, timestamp: str | None, body: bytes, header: str | None) -> bool:
    if not header or not timestamp:
        return False
    return hmac.compare_digest(chatwoot_signature(secret, timestamp, body), header)
