select
    {{ contract_columns() }}
from {{ ref('rpt_churn_prediction') }}
