{% test between_0_1(model, column_name) %}
    {#- Fails on rows where a ratio or confidence lies outside [0, 1] (nulls pass). -#}
    select *
    from {{ model }}
    where {{ column_name }} < 0 or {{ column_name }} > 1
{% endtest %}
