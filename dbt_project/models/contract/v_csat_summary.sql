select
    {{ contract_columns() }}
from {{ ref('rpt_csat_summary') }}
