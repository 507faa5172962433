"""`hotrod bench`: one end-to-end scale run from an empty warehouse, every figure as JSON.

Modules, one job each: ``machine`` (what ran it), ``memory`` (peak RSS), ``sandbox`` (generate and
serve the business), ``stages`` (extraction, COPY ceiling, dbt builds), ``latency`` (view
queries as ``operator`` and the staging baseline), ``report`` (markdown), ``runner`` (the order).
"""
