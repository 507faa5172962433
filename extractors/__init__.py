"""Extractors: Shopify and Chatwoot API clients and raw landing. Plain Python on urllib3."""
