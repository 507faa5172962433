select
    {{ contract_columns() }}
from {{ ref('rpt_ops_aggregate') }}
