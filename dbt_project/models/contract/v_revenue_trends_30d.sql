select
    {{ contract_columns() }}
from {{ ref('rpt_revenue_trends_30d') }}
