select
    {{ contract_columns() }}
from {{ ref('cx_commerce_daily') }}
