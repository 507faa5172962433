"""Money in integer cents, rendered the way Shopify does (a decimal string, two places)."""

from __future__ import annotations


def fmt(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def money_set(cents: int, currency: str) -> dict:
    return {"shopMoney": {"amount": fmt(cents), "currencyCode": currency}}


def cents(amount: str) -> int:
    """Parse a 2-dp decimal string back to cents."""
    sign = -1 if amount.startswith("-") else 1
    whole, _, frac = amount.lstrip("-").partition(".")
    return sign * (int(whole) * 100 + int((frac + "00")[:2]))
