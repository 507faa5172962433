{% macro secure_relation() -%}
    {#- Post-hook of every mart model and seed: row level security (tables) or security_invoker
        (views), then SELECT for operator. Runs inside the model's transaction, so a rebuilt
        relation never becomes visible without its policies. SQL in warehouse/sql/003_security.sql. -#}
    {%- if execute and model.config.materialized != 'ephemeral' -%}
        select security.secure_relation('{{ this.include(database=False) }}'::regclass)
    {%- endif -%}
{%- endmacro %}
