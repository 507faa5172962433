"""Carrier and shipping method of an order's shipments, derived from ids (no random draws).

Derived rather than drawn so that adding them left every other generated figure unchanged. The
shapes are the Admin API's: ``Fulfillment.trackingInfo`` (company, number, url) and
``Order.shippingLine`` (title, code); the company names are from Shopify's supported list.
"""

from __future__ import annotations

import zlib

# (company, tracking URL prefix), weighted by repetition
CARRIERS = (
    ("USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels="),
    ("USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels="),
    ("UPS", "https://www.ups.com/track?tracknum="),
    ("UPS", "https://www.ups.com/track?tracknum="),
    ("FedEx", "https://www.fedex.com/fedextrack/?trknbr="),
)
# (title, code): mostly standard ground shipping
METHODS = (
    ("Standard Shipping", "STANDARD"),
    ("Standard Shipping", "STANDARD"),
    ("Standard Shipping", "STANDARD"),
    ("Expedited Shipping", "EXPEDITED"),
)


def _pick(gid: str, salt: str, count: int) -> int:
    return zlib.crc32(f"{salt}:{gid}".encode()) % count


def tracking_info(fulfillment_gid: str) -> list[dict]:
    company, url = CARRIERS[_pick(fulfillment_gid, "carrier", len(CARRIERS))]
    number = f"{zlib.crc32(fulfillment_gid.encode()):010d}{fulfillment_gid.rsplit('/', 1)[-1]}"
    return [{"company": company, "number": number, "url": url + number}]


def shipping_line(order_gid: str) -> dict:
    title, code = METHODS[_pick(order_gid, "method", len(METHODS))]
    return {"title": title, "code": code}
