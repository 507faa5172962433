select
    {{ contract_columns() }}
from {{ ref('rpt_operator_activity_summary') }}
