select
    {{ contract_columns() }}
from {{ ref('rpt_fulfillment_health') }}
