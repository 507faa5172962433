{% test not_in_future(model, column_name, tolerance_minutes=5) %}
    {#- Fails on rows whose timestamp/date lies after the as-of time (plus a small tolerance). -#}
    select *
    from {{ model }}
    where {{ column_name }} > {{ hotrod_as_of() }} + make_interval(mins => {{ tolerance_minutes }})
{% endtest %}
