select
    {{ contract_columns() }}
from {{ ref('rpt_recommendation_approval_model') }}
