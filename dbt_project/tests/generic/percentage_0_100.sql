{% test percentage_0_100(model, column_name) %}
    {#- Fails on rows where a percentage lies outside [0, 100] (nulls pass). -#}
    select *
    from {{ model }}
    where {{ column_name }} < 0 or {{ column_name }} > 100
{% endtest %}
