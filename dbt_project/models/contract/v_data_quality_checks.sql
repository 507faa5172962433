select
    {{ contract_columns({'issue_count': 'failing_rows'}) }}
from {{ ref('rpt_data_quality_checks') }}
