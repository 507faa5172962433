select
    {{ contract_columns() }}
from {{ ref('rpt_product_performance') }}
