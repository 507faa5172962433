{% macro secure_relation() -%}
    {#- Post-hook of every mart, report, contract model and seed: row level security (tables) or
        security_invoker (views); SELECT for operator only on the contract views and the relations
        they read (macro contract_relations). Runs inside the model's transaction, so a rebuilt
        relation never becomes visible without its policies. SQL: warehouse/migrations. -#}
    {%- if execute and model.config.materialized != 'ephemeral' -%}
        select security.secure_relation(
            '{{ this.include(database=False) }}'::regclass,
            {{ 'true' if this.identifier in contract_relations() else 'false' }}
        )
    {%- endif -%}
{%- endmacro %}

{% macro contract_relations() -%}
    {#- Names of the public (contract) models and of the models and seeds they select from. -#}
    {%- set names = [] -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values() -%}
            {%- if node.resource_type == 'model' and node.access == 'public' -%}
                {%- do names.append(node.alias or node.name) -%}
                {%- for parent_id in node.depends_on.nodes -%}
                    {%- set parent = graph.nodes.get(parent_id) -%}
                    {%- if parent and parent.resource_type in ('model', 'seed') -%}
                        {%- do names.append(parent.alias or parent.name) -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(names | unique | list) }}
{%- endmacro %}
