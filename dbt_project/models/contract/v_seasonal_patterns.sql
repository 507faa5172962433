select
    {{ contract_columns() }}
from {{ ref('rpt_seasonal_patterns') }}
