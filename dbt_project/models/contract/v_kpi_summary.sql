select
    {{ contract_columns() }}
from {{ ref('rpt_kpi_summary') }}
