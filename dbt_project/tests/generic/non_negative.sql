{% test non_negative(model, column_name) %}
    {#- Fails on every row where the column is below zero (nulls pass). -#}
    select *
    from {{ model }}
    where {{ column_name }} < 0
{% endtest %}
