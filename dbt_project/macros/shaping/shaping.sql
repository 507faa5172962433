{% macro join_each(base, relations, keys=['shop_domain'], kind='left') -%}
    {#-
        Joins every relation of `relations` to `base` on the same keys, one join per relation.
        A relation may carry an alias ('orders as by_id'); a key is a column both sides name alike
        ('shop_domain') or a pair [base column, relation column].
    -#}
    {%- set joins = [] -%}
    {%- for relation in relations -%}
        {%- set alias = relation.split(' ')[-1] -%}
        {%- set conditions = [] -%}
        {%- for key in keys -%}
            {%- set left = key if key is string else key[0] -%}
            {%- set right = key if key is string else key[1] -%}
            {%- do conditions.append(base ~ '.' ~ left ~ ' = ' ~ alias ~ '.' ~ right) -%}
        {%- endfor -%}
        {%- do joins.append(kind ~ ' join ' ~ relation ~ ' on ' ~ conditions | join(' and ')) -%}
    {%- endfor -%}
    {{ return(joins | join('\n    ')) }}
{%- endmacro %}

{% macro coalesced(relation, columns, default=0) -%}
    {#- `coalesce(relation.column, default) as column` for every column, one per line. -#}
    {%- set items = [] -%}
    {%- for column in columns -%}
        {%- do items.append('coalesce(' ~ relation ~ '.' ~ column ~ ', ' ~ default ~ ') as ' ~ column) -%}
    {%- endfor -%}
    {{ return(items | join(',\n        ')) }}
{%- endmacro %}

{% macro qualified(relation, columns) -%}
    {#- `relation.column` for every column, one per line. -#}
    {%- set items = [] -%}
    {%- for column in columns -%}
        {%- do items.append(relation ~ '.' ~ column) -%}
    {%- endfor -%}
    {{ return(items | join(',\n        ')) }}
{%- endmacro %}

{% macro typed_columns(relation, renamed={}, without=[]) -%}
    {#-
        The select list of a table with an enforced contract: every contract column, in the
        contract's order, cast to its contract `data_type`: `relation.column::type as column`, or
        `(expression)::type as column` for a column `renamed` maps to an expression. The names and
        types live once, in the model's YAML. Columns named in `without` are left out (a later
        CTE adds them).
    -#}
    {%- set items = [] -%}
    {%- for column in (model.columns.values() if execute else []) if column.name not in without -%}
        {%- set expression = '(' ~ renamed[column.name] ~ ')' if column.name in renamed
            else relation ~ '.' ~ column.name -%}
        {%- do items.append(expression ~ '::' ~ column.data_type ~ ' as ' ~ column.name) -%}
    {%- endfor -%}
    {#- At parse time (no columns yet) a placeholder select list. -#}
    {{ return(items | join(',\n        ') if execute else '*') }}
{%- endmacro %}

{% macro shop_window(relation, date_column, days) -%}
    {#-
        The rows of `relation` whose local date `date_column` lies in the shop's last `days` local
        days (`within_last_days`), its columns unchanged.
    -#}
    select rows_in_window.*
    from {{ relation }} as rows_in_window
    inner join {{ ref('shops') }} as shops
        on rows_in_window.shop_domain = shops.shop_domain
    where {{ within_last_days('rows_in_window.' ~ date_column, days) }}
{%- endmacro %}

{% macro import_ctes() -%}
    {#-
        The import CTEs of a model, one per keyword argument: `name as (select * from ref(model))`
        for `name='model'`, in the order given.
    -#}
    {%- set ctes = [] -%}
    {%- for name, model_name in kwargs.items() -%}
        {%- do ctes.append(name ~ ' as (\n    select * from ' ~ ref(model_name) ~ '\n)') -%}
    {%- endfor -%}
    {{ return(ctes | join(',\n\n')) }}
{%- endmacro %}

{% macro period_sums(date_column, as_of_date, sums, only=none) -%}
    {#-
        One `sum(measure) filter (where <date in period>) as name` per entry of `sums`
        (name -> [measure, period]), or per name of `only`. Periods end on `as_of_date` (the caller bounds the rows to
        it): 'mtd' from the first of its month, 'ytd' from the first of its year, '30d' the 30
        days ending on it.
    -#}
    {%- set starts = {
        'mtd': date_column ~ " >= date_trunc('month', " ~ as_of_date ~ ")",
        'ytd': date_column ~ " >= date_trunc('year', " ~ as_of_date ~ ")",
        '30d': date_column ~ ' > ' ~ as_of_date ~ ' - 30',
    } -%}
    {%- set items = [] -%}
    {%- for name in (only or sums.keys()) -%}
        {%- set spec = sums[name] -%}
        {%- do items.append('sum(' ~ spec[0] ~ ') filter (where ' ~ starts[spec[1]] ~ ') as ' ~ name) -%}
    {%- endfor -%}
    {{ return(items | join(',\n        ')) }}
{%- endmacro %}

{% macro period_totals(base, as_of_date, daily, sums, only=none) -%}
    {#-
        Per shop of `base`, the `period_sums` of the `daily` rows (one per shop and local `date`)
        in the periods ending on `as_of_date`: only the days from the earlier of the year's first
        day and the 30-day window's first day up to `as_of_date` are read.
    -#}
    select
        {{ base }}.shop_domain,
        {{ period_sums(daily ~ '.date', as_of_date, sums, only) }}
    from {{ base }}
    left join {{ daily }}
        on
            {{ base }}.shop_domain = {{ daily }}.shop_domain
            and {{ as_of_date }} >= {{ daily }}.date
            and least(date_trunc('year', {{ as_of_date }})::date, {{ as_of_date }} - 29) <= {{ daily }}.date
    group by {{ base }}.shop_domain
{%- endmacro %}

{% macro counts_by(column, values, prefix='', suffix='') -%}
    {#-
        One `count(*) filter (where column = 'value') as name` per value: `values` is a list
        (name = prefix ~ value ~ suffix) or a mapping value -> name.
    -#}
    {%- set items = [] -%}
    {%- for value in values -%}
        {%- set name = values[value] if values is mapping else prefix ~ value ~ suffix -%}
        {%- do items.append("count(*) filter (where " ~ column ~ " = '" ~ value ~ "') as " ~ name) -%}
    {%- endfor -%}
    {{ return(items | join(',\n        ')) }}
{%- endmacro %}

{% macro aggregates(function, columns) -%}
    {#- `function(column) as name` for every entry of `columns` (output name -> column), one per line. -#}
    {%- set items = [] -%}
    {%- for name, column in columns.items() -%}
        {%- do items.append(function ~ '(' ~ column ~ ') as ' ~ name) -%}
    {%- endfor -%}
    {{ return(items | join(',\n        ')) }}
{%- endmacro %}

{% macro counts_where(conditions) -%}
    {#- `count(*) filter (where condition) as name` for every entry (name -> condition), one per line. -#}
    {%- set items = [] -%}
    {%- for name, condition in conditions.items() -%}
        {%- do items.append('count(*) filter (where ' ~ condition ~ ') as ' ~ name) -%}
    {%- endfor -%}
    {{ return(items | join(',\n        ')) }}
{%- endmacro %}

{% macro json_list(fields, order_by) -%}
    {#-
        The rows of a group as one JSON array of objects in `order_by` order:
        `jsonb_agg(jsonb_build_object('key', expression, ...) order by ...)`. A field is a column
        (its name the key) or a pair [key, expression].
    -#}
    {%- set items = [] -%}
    {%- for field in fields -%}
        {%- set key = field if field is string else field[0] -%}
        {%- set expression = field if field is string else field[1] -%}
        {%- do items.append("'" ~ key ~ "', " ~ expression) -%}
    {%- endfor -%}
    jsonb_agg(jsonb_build_object({{ items | join(', ') }}) order by {{ order_by }})
{%- endmacro %}

{% macro rolling(function, column, order_by, preceding, partition_by='shop_domain') -%}
    {#-
        `function(column)` over a row and the `preceding` rows before it (a number, or
        'unbounded') of its `partition_by` group in `order_by` order: a moving or running figure.
    -#}
    {{ function }}({{ column }}) over (
        partition by {{ partition_by }} order by {{ order_by }} rows between {{ preceding }} preceding and current row
    )
{%- endmacro %}

{% macro urgency_ranked(relation, order_by) -%}
    {#-
        A query: the rows of `relation`, each with `urgency_rank`, its place in its shop by the
        terms of `order_by` (1 = the most urgent; ties broken by the last terms).
    -#}
    select
        {{ relation }}.*,
        row_number() over (
            partition by {{ relation }}.shop_domain order by {{ order_by | join(', ') }}
        ) as urgency_rank
    from {{ relation }}
{%- endmacro %}

{% macro ranked_list(relation, rank_column, top, fields, name) -%}
    {#-
        A query: per shop, its first `top` rows of `relation` by `rank_column` as one JSON array
        `name` of objects, each {rank, fields...}, in rank order (`json_list`).
    -#}
    select
        {{ relation }}.shop_domain,
        {{ json_list([['rank', relation ~ '.' ~ rank_column]] + fields, relation ~ '.' ~ rank_column) }} as {{ name }}
    from {{ relation }}
    where {{ relation }}.{{ rank_column }} <= {{ top }}
    group by {{ relation }}.shop_domain
{%- endmacro %}

{% macro union_all_over(items) -%}
    {#-
        The `call` block's body rendered once per item of `items` (`caller(item)`), the branches
        joined by `union all`: `{% call(item) union_all_over(items) %} select ... {% endcall %}`.
    -#}
    {%- for item in items %}
        {%- if not loop.first %}
    union all
        {%- endif %}
    {{ caller(item) }}
    {%- endfor %}
{%- endmacro %}
