select
    {{ contract_columns() }}
from {{ ref('rpt_audit_export') }}
