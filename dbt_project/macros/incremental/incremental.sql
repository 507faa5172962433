{% macro staged_since_last_run(staged_at='staged_at') -%}
    {#-
        Incremental runs (issue 9): true for rows (re)staged by stg_shopify__orders after the
        newest row already in this model; `true` in a full build.
    -#}
    {%- if is_incremental() -%}
        {{ staged_at }} > (
            select coalesce(max(done.staged_at), '-infinity'::timestamptz)
            from {{ this }} as done
        )
    {%- else -%}
        true
    {%- endif -%}
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


{% macro drop_deleted_orders() -%}
    {#-
        Post-hook of the incremental models keyed by (shop_domain, order_id): removes the rows
        of orders Shopify deleted (raw_shopify.orders.deleted_at, set by orders/delete) since
        they were built; the raw row and its history stay in raw_shopify.orders.
        stg_shopify__orders reads the raw flag; every other model drops the orders that are no
        longer staged (only staging reads sources).
    -#}
    {%- if this.identifier == 'stg_shopify__orders' %}
        delete from {{ this }} as built
        using {{ source('raw_shopify', 'orders') }} as raw_orders
        where
            raw_orders.deleted_at is not null
            and built.shop_domain = raw_orders.shop_domain
            and built.order_gid = raw_orders.id
    {%- else %}
        delete from {{ this }} as built
        where not exists (
            select 1
            from {{ ref('stg_shopify__orders') }} as staged
            where
                staged.shop_domain = built.shop_domain
                and staged.order_id = built.order_id
        )
    {%- endif %}
{%- endmacro %}
