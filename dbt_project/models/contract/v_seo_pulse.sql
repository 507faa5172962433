select
    {{ contract_columns() }}
from {{ ref('rpt_seo_pulse') }}
