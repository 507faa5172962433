"""Shopify Admin GraphQL extraction."""
