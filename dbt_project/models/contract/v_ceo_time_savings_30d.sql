select
    {{ contract_columns() }}
from {{ ref('rpt_ceo_time_savings') }}
where savings_window = '30d'
