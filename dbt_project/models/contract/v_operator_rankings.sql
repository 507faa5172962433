select
    {{ contract_columns() }}
from {{ ref('rpt_operator_scorecard_30d') }}
