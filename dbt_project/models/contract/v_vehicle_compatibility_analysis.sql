select
    {{ contract_columns() }}
from {{ ref('rpt_vehicle_compatibility_analysis') }}
