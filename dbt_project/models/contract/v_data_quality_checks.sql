select
    {{ contract_columns({'issue_count': 'failing_rows'}) }}
from {{ ref('rpt_data_quality_comprehensive') }}
where check_name in (
    'missing_revenue', 'negative_inventory', 'missing_segment', 'future_dates', 'negative_resolution_time',
    'orders_in_future', 'rejected_values', 'currency_mismatch', 'bad_quantities', 'missing_totals'
)
