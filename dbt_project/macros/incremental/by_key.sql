{#-
    Models incremental by key (issue 17): the customer and conversation models and the two
    real-time marts rebuild (delete+insert) only the keys changed since their watermark, kept in
    raw_app.dbt_watermarks (migration 0013), not in a column of their own.
-#}

{% macro key_watermark() -%}
    {#-
        This model's watermark, read when the SQL is rendered and written as a literal
        (`-infinity` in a full build or before the first one): every change stamped after it is
        still to be taken.
    -#}
    {%- set found = none -%}
    {%- if execute and is_incremental() and not should_full_refresh() -%}
        {%- set found = run_query(
            "select watermark::text from raw_app.dbt_watermarks where model_name = '"
            ~ this.schema ~ "." ~ this.identifier ~ "'"
        ).columns[0].values() -%}
    {%- endif -%}
    '{{ found[0] if found else "-infinity" }}'::timestamptz
{%- endmacro %}


{% macro written_since_watermark(stamp) -%}
    {#- A dbt stamp (staged_at, localized_at, refreshed_at: a run's start) newer than the watermark. -#}
    {{ stamp }} > {{ key_watermark() }}
{%- endmacro %}


{% macro landed_since_watermark(stamp) -%}
    {#-
        A raw landing stamp (extracted_at: the landing transaction's start) at or after the
        watermark (the watermark is never later than the start of a transaction then open).
    -#}
    {{ stamp }} >= {{ key_watermark() }}
{%- endmacro %}


{% macro advance_key_watermark() -%}
    {#-
        Records the new watermark, in the model's transaction (a failed build keeps the old one):
        the run's start, or the start of the oldest transaction open in the database now if that
        is earlier, so rows a landing commits after the model read its inputs are taken next run.
        Never moves back.
    -#}
    insert into raw_app.dbt_watermarks as kept (model_name, watermark)
    select
        '{{ this.schema }}.{{ this.identifier }}',
        least(
            '{{ run_started_at }}'::timestamptz,
            coalesce(min(activity.xact_start), 'infinity'::timestamptz)
        )
    from pg_stat_activity as activity
    where
        activity.datname = current_database()
        and activity.backend_type = 'client backend'
        and activity.xact_start is not null
    on conflict (model_name) do update
        set
            watermark = greatest(kept.watermark, excluded.watermark),
            written_at = now()
{%- endmacro %}


{% macro stored_columns_missing(columns) -%}
    {#-
        In an incremental run, the columns of `columns` the stored relation lacks (a table an
        earlier version of the model built, before it was incremental or stamped its rows); []
        otherwise. A model that finds one missing rebuilds every row in that run (its changed
        keys may read the column; delete_changed_keys empties the table first).
    -#}
    {%- if not execute or not is_incremental() or should_full_refresh() -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set stored = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {{ return(columns | reject('in', stored) | list) }}
{%- endmacro %}


{% macro delete_changed_keys(changed, keys, kept_in=none, stored_columns=none) -%}
    {#-
        Pre-hook of a model incremental by key, run in its transaction before its delete+insert:
        deletes the stored rows whose key is among `changed` (a query of the key columns `keys`,
        rendered with the old watermark; `keys` may map this model's key columns to the query's
        columns when their names differ), so a key that is gone upstream (a deleted customer, a
        conversation whose creation time no longer parses) goes too; with `kept_in`, only the
        changed keys missing from that relation (the others are replaced by the delete+insert).
        With `changed` none, nothing is deleted (a model whose changed keys read its own stored
        rows, which the delete+insert replaces). With `stored_columns`, a stored relation lacking
        one of them (stored_columns_missing) is emptied instead: the model rebuilds every row.
        Then records the new watermark (also in a full build).
    -#}
    {%- set upstream = keys if keys is mapping else dict(zip(keys, keys)) -%}
    {%- set keys = upstream.keys() | list -%}
    {%- if stored_columns and stored_columns_missing(stored_columns) -%}
        delete from {{ this }};
    {% elif changed is not none and is_incremental() and not should_full_refresh() -%}
        delete from {{ this }} as done
        where
            ({% for key in keys %}done.{{ key }}{{ ", " if not loop.last }}{% endfor %}) in (
                select
                    {% for key in keys %}changed.{{ upstream[key] }}{{ ", " if not loop.last }}{% endfor %}
                from ({{ changed }}) as changed
            )
            {%- if kept_in is not none %}
                and not exists (
                    select 1
                    from {{ kept_in }} as kept
                    where
                        {% for key in keys -%}
                            kept.{{ key }} = done.{{ key }}{{ " and" if not loop.last }}
                        {% endfor %}
                )
            {%- endif %};
    {% endif -%}
    {{ advance_key_watermark() }}
{%- endmacro %}


{% macro where_key_changed(changed, keys) -%}
    {#-
        In an incremental run, the filter keeping only the rows whose key columns `keys` are
        among `changed` (a query of those columns); nothing in a full build.
    -#}
    {%- if is_incremental() and not should_full_refresh() -%}
        where ({{ keys | join(', ') }}) in (
            select {% for key in keys %}changed.{{ key }}{{ ", " if not loop.last }}{% endfor %}
            from ({{ changed }}) as changed
        )
    {%- endif -%}
{%- endmacro %}
