select
    {{ contract_columns() }}
from {{ ref('rpt_sla_resolution') }}
