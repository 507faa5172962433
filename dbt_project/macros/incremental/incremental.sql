{% macro staged_since_last_run(staged_at='staged_at', stored='staged_at') -%}
    {#-
        Incremental runs (issue 9): true for rows (re)staged by stg_shopify__orders after the
        newest row already in this model (its column `stored`); `true` in a full build.
    -#}
    {%- if is_incremental() -%}
        {{ staged_at }} > {{ stored_watermark(stored) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{% macro stored_watermark(column) -%}
    {#-
        The newest `column` stored in this model, read when the SQL is rendered and written as a
        literal (`-infinity` when empty): the planner then sees how few upstream rows are newer
        and reads them through the watermark's index instead of scanning every row.
    -#}
    {%- set newest = none -%}
    {%- if execute -%}
        {%- set newest = run_query('select max(' ~ column ~ ')::text from ' ~ this).columns[0].values()[0] -%}
    {%- endif -%}
    '{{ newest if newest is not none else "-infinity" }}'::timestamptz
{%- endmacro %}

{% macro orders_of_recent_redactions() -%}
    {#-
        Incremental runs of stg_shopify__orders: the (shop_domain, order_gid) of staged orders
        whose customer was added to raw_app.redactions after they were last staged, so a
        redaction recorded straight in raw_app.redactions reaches rows that did not change.
    -#}
    select
        done.shop_domain,
        done.order_gid
    from {{ this }} as done
    inner join {{ source('raw_app', 'redactions') }} as r
        on
            done.shop_domain = r.shop_domain
            and done.customer_id = {{ gid_to_bigint('r.customer_id') }}
    where r.requested_at >= done.staged_at
{%- endmacro %}


{% macro delete_vanished_raw_rows(raw_table, key) -%}
    {#-
        Post-hook of a staging table with one row per raw row of `raw_table` whose `id` parses
        as its bigint key `key` (stg_chatwoot__conversations, stg_chatwoot__messages):
        delete_vanished_orders over those raw rows.
    -#}
    {{ delete_vanished_orders(
        '(select shop_domain, ' ~ cast_or_null('id', 'bigint') ~ ' as ' ~ key ~ ' from ' ~ raw_table ~ ')',
        'select count(*) from ' ~ raw_table ~ ' where ' ~ value_is_valid('id', 'bigint'),
        key=key,
    ) }}
{%- endmacro %}


{% macro chatwoot_rows_to_restage(raw_table, key, contact, only_when=none) -%}
    {#-
        Incremental runs of stg_chatwoot__conversations and stg_chatwoot__messages (issue 17):
        the (shop_domain, id) of the raw rows to stage again. Those landed since the watermark,
        and the stored rows (`key`) whose contact (column `contact`, where `only_when` holds)
        landed since or was linked to a customer redacted since, so their redaction flag and the
        PII it nulls follow the contact without the raw row changing.
    -#}
    select
        landed.shop_domain,
        landed.id
    from {{ raw_table }} as landed
    where {{ landed_since_watermark('landed.extracted_at') }}
    union
    select
        done.shop_domain,
        done.{{ key }}::text as id
    from {{ this }} as done
    inner join ({{ changed_contacts() }}) as changed
        on
            done.shop_domain = changed.shop_domain
            and done.{{ contact }} = changed.contact_id
    {%- if only_when %}
    where done.{{ only_when }}
    {%- endif %}
{%- endmacro %}


{% macro restaged_raw_orders() -%}
{% if is_incremental() %}
    select
        raw_orders.*,
        staged.staged_at
    from {{ ref('stg_shopify__orders') }} as staged
    inner join {{ source('raw_shopify', 'orders') }} as raw_orders
        on
            staged.shop_domain = raw_orders.shop_domain
            and staged.order_gid = raw_orders.id
    where
        {{ staged_since_last_run('staged.staged_at') }}
        and raw_orders.deleted_at is null
{% else %}
    -- a full build stages every order in this run
    select
        raw_orders.*,
        '{{ run_started_at }}'::timestamptz as staged_at
    from {{ source('raw_shopify', 'orders') }} as raw_orders
    where raw_orders.deleted_at is null
{% endif %}
{%- endmacro %}


{% macro delete_vanished_rows(upstream, keys) -%}
    {#-
        Post-hook of an incremental model at a small grain (shop-day): deletes the stored rows
        whose key no longer appears upstream, which delete+insert alone never removes. `keys`
        maps each column of this model to the upstream column it must equal. It compares every
        row: order-grain models use delete_changed_orders and delete_vanished_orders instead.
        Nothing to do in a full build.
    -#}
    {%- if is_incremental() and not should_full_refresh() -%}
        delete from {{ this }} as done
        where not exists (
            select 1
            from {{ upstream }} as kept
            where
                {% for column, upstream_column in keys.items() -%}
                    kept.{{ upstream_column }} = done.{{ column }}
                    {%- if not loop.last %} and {% endif %}
                {% endfor %}
        )
    {%- endif -%}
{%- endmacro %}


{% macro deleted_raw_orders() -%}
    {#-
        The (shop_domain, order_id) of raw orders Shopify reported deleted (orders/delete sets
        raw deleted_at; migration 0012's partial index keeps this a small index read).
    -#}
    select
        deleted.shop_domain,
        {{ gid_to_bigint('deleted.id') }} as order_id
    from {{ source('raw_shopify', 'orders') }} as deleted
    where deleted.deleted_at is not null
{%- endmacro %}


{% macro delete_changed_orders(upstream=none, stamp='staged_at') -%}
    {#-
        Pre-hook of an order-grain incremental model (issues 17, 20), run in the model's
        transaction before its delete+insert: deletes the stored rows of every order this run
        writes again (its `upstream` row's `stamp` newer than the newest stored `stamp`) and of
        every raw order deleted in Shopify. So the rows an order lost (lines removed by an edit,
        a refund or fulfillment gone) and a deleted order's rows go, at the cost of the changed
        and deleted orders read through indexes, never a compare of every stored row. Without
        `upstream` (stg_shopify__orders itself) only deleted orders are removed.
    -#}
    {%- if is_incremental() and not should_full_refresh() -%}
        delete from {{ this }} as done
        where (done.shop_domain, done.order_id) in (
            {%- if upstream is not none %}
                select
                    changed.shop_domain,
                    changed.order_id
                from {{ upstream }} as changed
                where changed.{{ stamp }} > {{ stored_watermark(stamp) }}
                union all
            {%- endif %}
            {{ deleted_raw_orders() }}
        )
    {%- endif -%}
{%- endmacro %}


{% macro delete_vanished_orders(upstream, upstream_count=none, key='order_id') -%}
    {#-
        Post-hook of a model with one row per order of `upstream`: every upstream order is in
        the model after its run, so more stored rows than upstream ones means an upstream row
        went without a trace (a raw row removed by hand, not through deleted_at). Only then are
        the stored orders missing upstream deleted (the one case that compares every row). The
        check itself is two counts. `upstream_count` replaces `count(*) from upstream`; `key` is
        the column identifying a row within its shop (order_id, or another grain's key).
    -#}
    {%- if is_incremental() and not should_full_refresh() -%}
        do $vanished$
        begin
            if (select count(*) from {{ this }}) > (
                {{ upstream_count or ('select count(*) from ' ~ upstream) }}
            ) then
                delete from {{ this }} as done
                where not exists (
                    select 1
                    from {{ upstream }} as kept
                    where
                        kept.shop_domain = done.shop_domain
                        and kept.{{ key }} = done.{{ key }}
                );
            end if;
        end
        $vanished$
    {%- endif -%}
{%- endmacro %}


{% macro changed_rows_only(computed, stored_keys) -%}
    {#-
        Incremental models computed in full at a small grain (shop-day, SKU-day): the rows of
        `computed` (a CTE name) whose values differ from the stored row of the same key, or that
        are new, compared as jsonb (by column name) without `created_at` and `updated_at`.
        `stored_keys` maps the model's key columns to `computed`'s. `true` in a full build.
    -#}
    {%- if is_incremental() -%}
        not exists (
            select 1
            from {{ this }} as done
            where
                {% for column, computed_column in stored_keys.items() -%}
                    done.{{ column }} = {{ computed }}.{{ computed_column }}
                    and
                {% endfor -%}
                to_jsonb(done) - 'created_at' - 'updated_at'
                = to_jsonb({{ computed }}) - 'created_at' - 'updated_at'
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
