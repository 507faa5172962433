select
    {{ contract_columns() }}
from {{ ref('rpt_carrier_performance') }}
