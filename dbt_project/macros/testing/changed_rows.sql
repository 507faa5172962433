{% macro get_where_subquery(relation) -%}
    {#-
        The relation a generic data test reads (dbt's own macro, overridden; issue 17): the
        test's `where` config as in dbt, and in the daily run (HOTROD_TESTS_CHANGED_SINCE set)
        only the rows of a model declaring `meta: {changed_at: <column>}` stamped after that
        time; for a key test (unique, unique_combination) every row sharing a key with those.
    -#}
    {%- set conditions = [] -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set changed = changed_rows_condition(relation) -%}
    {%- if changed -%}
        {%- do conditions.append(changed) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}


{% macro tests_changed_since() -%}
    {#-
        The daily run's watermark (HOTROD_TESTS_CHANGED_SINCE, an ISO timestamp) when it is set,
        else none: every data test reads every row (weekly, `make test`, CI, `--full-refresh`).
        Read only when executing, so it never enters dbt's parse state.
    -#}
    {%- if flags.FULL_REFRESH -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- do return(timestamp_from_env(
        'HOTROD_TESTS_CHANGED_SINCE', 'set one (e.g. 2026-11-30T02:00:00+00:00) or unset it to test every row'
    )) -%}
{%- endmacro %}


{% macro changed_rows_condition(relation) -%}
    {#-
        The filter restricting a data test to the changed rows of the model it is attached to, or
        none (no watermark, no `changed_at` declared, a singular test).
    -#}
    {%- set since = tests_changed_since() -%}
    {%- set attached = model.get('attached_node') if since is not none else none -%}
    {%- set node = graph.nodes.get(attached) if attached else none -%}
    {%- set stamp = (node.config.meta or {}).get('changed_at') if node else none -%}
    {%- if not stamp -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set newer = stamp ~ " > '" ~ since ~ "'::timestamptz" -%}
    {%- set test = model.get('test_metadata') or {} -%}
    {%- set kwargs = test.get('kwargs') or {} -%}
    {%- if test.get('name') == 'unique' -%}
        {%- set keys = [kwargs.get('column_name')] -%}
    {%- elif test.get('name') == 'unique_combination' -%}
        {%- set keys = kwargs.get('combination') -%}
    {%- else -%}
        {%- do return(newer) -%}
    {%- endif -%}
    {%- set listed = keys | join(', ') -%}
    {%- do return('(' ~ listed ~ ') in (select ' ~ listed ~ ' from ' ~ relation ~ ' where ' ~ newer ~ ')') -%}
{%- endmacro %}
