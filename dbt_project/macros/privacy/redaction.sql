{% macro redacted_customers(requested_since=none) -%}
    {#- Shopify customers whose PII must stay removed (GDPR customers/redact); with
        `requested_since`, only those redacted at or after it. -#}
    select
        shop_domain,
        customer_id as customer_gid,
        {{ gid_to_bigint('customer_id') }} as customer_id,
        lower(email) as email
    from {{ source('raw_app', 'redactions') }}
    {%- if requested_since is not none %}
        where requested_at >= {{ requested_since }}
    {%- endif %}
{%- endmacro %}

{% macro redacted_contacts(requested_since=none) -%}
    {#- Chatwoot contacts linked to a redacted Shopify customer, by customer id or e-mail (with
        `requested_since`, of the customers redacted at or after it). -#}
    select distinct
        c.shop_domain,
        {{ cast_or_null("c.payload ->> 'id'", 'bigint') }} as contact_id
    from {{ source('raw_chatwoot', 'contacts') }} as c
    inner join ({{ redacted_customers(requested_since) }}) as r
        on
            c.shop_domain = r.shop_domain
            and (
                {{ gid_to_bigint("c.payload -> 'custom_attributes' ->> 'shopify_customer_id'") }}
                = r.customer_id
                or lower(c.payload ->> 'email') = r.email
            )
{%- endmacro %}

{% macro flag_redacted_contacts(relation, contact_id, only_when=none) -%}
    {#- Every row of `relation` plus is_redacted: its contact is linked to a redacted customer. -#}
    select
        {{ relation }}.*,
        (
            redacted.contact_id is not null
            {%- if only_when %}
            and {{ only_when }}
            {%- endif %}
        ) as is_redacted
    from {{ relation }}
    left join ({{ redacted_contacts() }}) as redacted
        on
            {{ relation }}.shop_domain = redacted.shop_domain
            and {{ cast_or_null(relation ~ '.' ~ contact_id, 'bigint') }} = redacted.contact_id
{%- endmacro %}

{% macro redact(column, is_redacted) -%}
    {#- Null out a PII column when the row belongs to a redacted customer. -#}
    case when {{ is_redacted }} then null else {{ column }} end
{%- endmacro %}
