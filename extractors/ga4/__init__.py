"""Google Analytics 4 (Data API runReport) into raw_ga4."""

# The reports landed, one raw_ga4 table each (extractors.ga4.report)
ENTITIES = ("traffic_daily", "traffic_hourly")
