select
    {{ contract_columns() }}
from {{ ref('rpt_export_product_performance') }}
