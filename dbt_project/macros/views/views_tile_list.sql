{% macro views_tile_list_size() -%}
    {#- How many rows a list tile (issues, escalations, alerts) shows per shop: the most urgent. -#}
    50
{%- endmacro %}
