select
    {{ contract_columns() }}
from {{ ref('rpt_cx_health') }}
