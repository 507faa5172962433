select
    {{ contract_columns() }}
from {{ ref('rpt_operator_efficiency_trends') }}
