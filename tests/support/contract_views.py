"""The contract's size: SPEC section 4's 48 views plus the views added beyond it, by name.

A new public view is added here deliberately (with its issue), so the tests that count the
contract, and the one that compares it with SPEC section 4, keep enforcing the list.
"""

from __future__ import annotations

SPEC_VIEW_COUNT = 48
EXTENSION_VIEWS = (
    "v_carrier_performance",  # issue 18: carriers
    "v_cx_commerce_daily",  # issue 18: support beside commerce
    "v_recommendation_approval_model",  # issue 18: learning from decisions
    "v_csat_summary",  # issue 18: CSAT per shop, inbox and agent
    "v_seo_pulse",  # issue 19: GA4 organic traffic, landing pages, content gaps
    "v_api_latency_daily",  # issue 19: API latency per source and endpoint kind
)
CONTRACT_VIEW_COUNT = SPEC_VIEW_COUNT + len(EXTENSION_VIEWS)
