select
    {{ contract_columns() }}
from {{ ref('rpt_sales_pulse') }}
