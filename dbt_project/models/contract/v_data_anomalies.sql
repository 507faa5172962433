select
    {{ contract_columns() }}
from {{ ref('rpt_data_anomalies') }}
