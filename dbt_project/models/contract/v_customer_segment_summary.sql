select
    {{ contract_columns() }}
from {{ ref('rpt_customer_segment_summary') }}
