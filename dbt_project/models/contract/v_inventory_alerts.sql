select
    {{ contract_columns() }}
from {{ ref('rpt_inventory_alerts') }}
