select
    {{ contract_columns() }}
from {{ ref('rpt_export_daily_performance') }}
