select
    {{ contract_columns() }}
from {{ ref('rpt_decisions_by_actor') }}
