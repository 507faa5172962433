select
    {{ contract_columns() }}
from {{ ref('rpt_category_trends_30d') }}
