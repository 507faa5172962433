select
    {{ contract_columns() }}
from {{ ref('rpt_activation_rate') }}
