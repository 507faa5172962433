{% macro postgres__get_create_index_sql(relation, index_dict) -%}
    {#-
        dbt-postgres' index DDL plus one key: `where`, a predicate that makes the index partial
        (e.g. {'columns': ['shop_domain'], 'where': 'is_trending'}). The name stays dbt's: an md5
        of the definition and the build time, so a table rebuilt beside its predecessor never
        collides with the old table's index names.
    -#}
    {%- set definition = index_dict.copy() -%}
    {%- set predicate = definition.pop('where', none) -%}
    {%- set index_config = adapter.parse_index(definition) -%}
    {%- set index_name = index_config.render(relation) -%}
    create {% if index_config.unique -%} unique {%- endif %} index if not exists "{{ index_name }}"
    on {{ relation }}
    {%- if index_config.type %} using {{ index_config.type }}{% endif %}
    ({{ index_config.columns | join(', ') }})
    {%- if predicate %} where {{ predicate }}{% endif %}
{%- endmacro %}
