"""Webhook receiver: verified, deduplicated deliveries from Shopify and Chatwoot."""
