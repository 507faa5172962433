-- Alerts posted to HOTROD_ALERT_WEBHOOK_URL (orchestration/alerts.py). The key identifies the
-- alert (source view, shop and the alert's own identity), so an alert is posted at most once:
-- it is inserted in the transaction that posts it, and a failed post rolls the row back.
create table if not exists raw_app.alert_deliveries (
    alert_key text primary key,
    shop_domain text not null,
    source text not null,
    severity text not null,
    message text not null,
    delivered_at timestamptz not null default now()
);
grant select, insert, update, delete, truncate on raw_app.alert_deliveries to service_role;
