select
    {{ contract_columns() }}
from {{ ref('rpt_api_latency_daily') }}
