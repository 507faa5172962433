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


{% macro delete_vanished_rows(upstream, keys) -%}
    {#-
        Post-hook of an incremental model (issue 20): deletes the stored rows whose key no
        longer appears upstream, which delete+insert alone never removes (it deletes only the
        keys it inserts again). `keys` maps each column of this model to the upstream column it
        must equal; with `staged_at` among them, rows of an order restaged since they were
        written (and now without them) go too. Nothing to do in a full build.
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
