"""GDPR privacy actions: export a customer, redact a customer, redact a shop, each audited.

The database keeps redactions durable (``warehouse/sql/004_privacy.sql``): a trigger on the raw
tables scrubs payloads of redacted customers and drops rows of redacted shops, whoever lands them.
This package performs the actions themselves and processes the privacy webhooks the receiver
stores in ``raw_app.webhook_events``.
"""
