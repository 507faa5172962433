{% macro contract_columns(renamed={}) -%}
    {#-
        The select list of a contract view: its contract's columns, in the contract's order, one
        per line. `renamed` maps a contract column to the expression it is read from
        ({'issue_count': 'failing_rows'}). The names live once, in the contract YAML.
    -#}
    {%- if not execute -%}
        {{ return('*') }}
    {%- endif -%}
    {%- set items = [] -%}
    {%- for column in model.columns.values() -%}
        {%- set name = adapter.quote(column.name) if column.quote else column.name -%}
        {%- if column.name in renamed -%}
            {%- do items.append(renamed[column.name] ~ ' as ' ~ name) -%}
        {%- else -%}
            {%- do items.append(name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(items | join(',\n    ')) }}
{%- endmacro %}
