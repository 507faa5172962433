select
    {{ contract_columns() }}
from {{ ref('rpt_growth_rates') }}
