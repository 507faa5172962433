select
    {{ contract_columns() }}
from {{ ref('customer_segments') }}
