-- The raw orders Shopify reported deleted (orders/delete sets deleted_at): a small partial
-- index, so every incremental order-grain model removes them by an index read each run instead
-- of comparing every stored row with the raw table (issue 17).
create index if not exists orders_deleted_idx
    on raw_shopify.orders (shop_domain, id)
    where deleted_at is not null;
