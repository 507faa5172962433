"""A deterministic synthetic Hot Rod AN business (the sandbox).

``sandbox.store.SandboxStore`` generates and holds the business (Shopify shops, catalog, customers,
orders; Chatwoot conversations; the dashboard app's tables) in a cached SQLite file;
``sandbox.truth`` computes the golden figures the marts must reproduce. The extractors never
import this package: they reach it over HTTP through the API stand-ins.
"""
