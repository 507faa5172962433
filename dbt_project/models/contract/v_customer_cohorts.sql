select
    {{ contract_columns() }}
from {{ ref('rpt_customer_cohorts') }}
