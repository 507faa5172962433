-- The raw orders landed since a watermark, read through an index (issue 17): stg_shopify__orders
-- and stg_shopify__rejected_values re-stage and re-check only the orders landed since their
-- watermark, instead of comparing or scanning every raw order.
create index if not exists orders_extracted_at_idx on raw_shopify.orders (extracted_at);
