select
    {{ contract_columns() }}
from {{ ref('rpt_audit_stats_7d') }}
