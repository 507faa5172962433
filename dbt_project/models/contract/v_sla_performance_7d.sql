select
    {{ contract_columns() }}
from {{ ref('rpt_operator_performance_7d') }}
