"""The models incremental by key equal a full rebuild after every kind of change (issue 17).

The Chatwoot staging tables (conversations, messages), the order data issues
(int_orders_data_issues), the customer chain (int_customer_orders_aggregated,
int_customer_personas), the conversation chain (sentiment, measured, business minutes) and the
real-time marts (fulfillment_tracking, fulfillment_shipments, cx_conversations) rebuild only the
keys changed since their watermark. After a first build, raw data sees one change of every kind
the real-time tiles depend on: an order edited, one fulfilled, one cancelled, one deleted, one
given a line quantity of 0, one dated a day ahead; a conversation resolved; a message added; a
customer turned wholesale (their segment changes: their orders and conversations must follow); a
contact linked to a customer; a customer redacted. After a plain incremental run each model is
copied aside, the same models are rebuilt with ``--full-refresh``, and the copies must equal the
rebuilds row for row (the columns that stamp when a row was written aside). Then three days pass
(unanswered conversations breach, promised deliveries fall late, an order dated ahead is no
longer in the future) while one contact is linked to the customer redacted before, and the
comparison is made again. A dependency a model misses leaves a stale row: the comparison fails.
"""

from __future__ import annotations

import json
from pathlib import Path

from sandbox.store import SandboxStore
from tests.dbt.test_incremental_equals_full import columns, counted_orders, differences, put
from tests.support.dbt_runs import failure_summary, run_dbt_isolated
from tests.support.raw_loader import load_store
from warehouse.connection import connect
from warehouse.settings import DatabaseUrl

AS_OF = "2026-06-01T12:00:00Z"
LATER = "2026-06-04T12:00:00Z"
SHOP = "hot-rod-an.sandbox.test"
SELECTION = ("+fulfillment_tracking", "+fulfillment_shipments", "+cx_conversations")
BY_KEY = (
    ("staging", "stg_chatwoot__conversations"),
    ("staging", "stg_chatwoot__messages"),
    ("intermediate", "int_orders_data_issues"),
    ("intermediate", "int_customer_orders_aggregated"),
    ("intermediate", "int_customer_personas"),
    ("intermediate", "int_conversation_sentiment_scored"),
    ("intermediate", "int_conversations_measured"),
    ("intermediate", "int_conversation_business_minutes"),
    ("marts", "fulfillment_tracking"),
    ("marts", "fulfillment_shipments"),
    ("marts", "cx_conversations"),
)
REBUILT = tuple(table for _, table in BY_KEY)
# When a row was (re)written, not what it says.
STAMPS = {"refreshed_at", "segment_changed_at", "staged_at", "localized_at"}


def run(
    url: DatabaseUrl,
    target: Path,
    *extra: str,
    as_of: str = AS_OF,
    select: tuple[str, ...] = SELECTION,
) -> None:
    # models and seeds, no tests (as in test_incremental_equals_full)
    args = ["build", "--select", *select, "--exclude-resource-type", "test", "unit_test"]
    result = run_dbt_isolated(url, [*args, *extra], target, as_of=as_of)
    assert result.returncode == 0, failure_summary(result)


def land(cur, table: str, row_id: str, payload: dict) -> None:
    """Write a raw row's new payload the way the extractor lands a newer version."""
    cur.execute(
        f"update {table} set payload = %s,"  # noqa: S608
        " updated_at = updated_at + interval '1 second', extracted_at = now()"
        " where shop_domain = %s and id = %s",
        (json.dumps(payload), SHOP, row_id),
    )
    assert cur.rowcount == 1, f"{table} {row_id} not found"


def one(cur, query: str, *params) -> tuple:
    cur.execute(query, params)
    row = cur.fetchone()
    assert row is not None, f"the sandbox has no row for: {query}"
    return row


def compare(cur, copy_schema: str) -> dict[str, int]:
    found = {}
    for schema, table in BY_KEY:
        cur.execute(f"select count(*) from {schema}.{table}")  # noqa: S608
        assert cur.fetchone()[0] > 0, f"{schema}.{table} is empty"
        cols = [c for c in columns(cur, schema, table) if c not in STAMPS]
        found[table] = differences(cur, f"{copy_schema}.{table}", f"{schema}.{table}", cols)
    return found


def copy_aside(cur, copy_schema: str) -> None:
    cur.execute(f"create schema {copy_schema}")
    for schema, table in BY_KEY:
        cur.execute(
            f"create table {copy_schema}.{table} as select * from {schema}.{table}"  # noqa: S608
        )


def test_models_incremental_by_key_equal_a_full_rebuild(
    module_db: DatabaseUrl, store: SandboxStore, tmp_path: Path
) -> None:
    load_store(module_db, store)
    run(module_db, tmp_path)

    conn = connect(module_db, autocommit=True)
    try:
        with conn.cursor() as cur:
            # a new staging or intermediate table is analyzed by the build (analyze_new_table),
            # not left for autovacuum: what reads it next is planned from its real statistics
            layers = [table for schema, table in BY_KEY if schema != "marts"]
            cur.execute(
                "select relname from pg_stat_user_tables"
                " where schemaname in ('staging', 'intermediate') and relname = any(%s)"
                " and last_analyze is not null",
                (layers,),
            )
            assert sorted(row[0] for row in cur.fetchall()) == sorted(layers)
        with conn.cursor() as cur:
            # -- orders: edited, cancelled, deleted (see test_incremental_equals_full) ...
            picked = counted_orders(cur, 15, 5)
            (edit_id, edit), (cancel_id, cancel), (gone_id, _) = picked[:3]
            # ... a line quantity of 0 and a creation time a day ahead (data issues: the second
            # leaves the list once the as-of time has passed it)
            (zero_id, zero), (ahead_id, ahead) = picked[3:]
            zero["lineItems"][0]["quantity"] = 0
            put(cur, zero_id, zero, 1)
            ahead["createdAt"] = "2026-06-02T12:00:00Z"
            put(cur, ahead_id, ahead, 1)
            edit["lineItems"] = edit["lineItems"][:-1]
            edit["totalPriceSet"]["shopMoney"]["amount"] = "4321.00"
            put(cur, edit_id, edit, 1)
            cancel["cancelledAt"] = "2026-06-01T11:00:00Z"
            put(cur, cancel_id, cancel, 1)
            cur.execute(
                "update raw_shopify.orders set deleted_at = now()"
                " where shop_domain = %s and id = %s",
                (SHOP, gone_id),
            )
            # ... and fulfilled: an open order gets the fulfillment of a shipped one
            shipped = one(
                cur,
                "select payload -> 'fulfillments' from raw_shopify.orders where shop_domain = %s"
                " and jsonb_array_length(payload -> 'fulfillments') > 0 order by id limit 1",
                SHOP,
            )[0]
            open_id, opened = one(
                cur,
                "select id, payload from raw_shopify.orders where shop_domain = %s"
                " and (payload ->> 'test')::boolean is false and payload ->> 'cancelledAt' is null"
                " and jsonb_array_length(payload -> 'fulfillments') = 0"
                " and payload -> 'customer' ->> 'id' is not null"
                " and (payload ->> 'createdAt')::timestamptz < %s::timestamptz"
                " order by payload ->> 'createdAt' desc, id limit 1",
                SHOP,
                AS_OF,
            )
            fulfillment = dict(shipped[0])
            fulfillment["id"] = "gid://shopify/Fulfillment/990000201"
            fulfillment["status"] = "SUCCESS"
            fulfillment["createdAt"] = "2026-06-01T10:00:00Z"
            opened["fulfillments"] = [fulfillment]
            opened["displayFulfillmentStatus"] = "FULFILLED"
            put(cur, open_id, opened, 1)

            # -- a customer with orders and a linked contact with conversations turns wholesale
            wholesale_gid, wholesale, contact_id = one(
                cur,
                "select c.id, c.payload, (ct.payload ->> 'id')::bigint"
                " from raw_shopify.customers as c"
                " join raw_chatwoot.contacts as ct on ct.shop_domain = c.shop_domain"
                "  and ct.payload -> 'custom_attributes' ->> 'shopify_customer_id'"
                "      = split_part(c.id, '/', 5)"
                " where c.shop_domain = %s and not c.payload -> 'tags' ? 'wholesale'"
                " and exists (select 1 from raw_shopify.orders as o where o.shop_domain ="
                "  c.shop_domain and o.payload -> 'customer' ->> 'id' = c.id and o.deleted_at"
                "  is null and (o.payload ->> 'test')::boolean is false)"
                " and exists (select 1 from raw_chatwoot.conversations as cv"
                "  where cv.shop_domain = ct.shop_domain"
                "  and (cv.payload -> 'meta' -> 'sender' ->> 'id')::bigint"
                "      = (ct.payload ->> 'id')::bigint)"
                " order by c.id limit 1",
                SHOP,
            )
            wholesale["tags"] = [*wholesale.get("tags", []), "wholesale"]
            land(cur, "raw_shopify.customers", wholesale_gid, wholesale)

            # -- a contact without a customer is linked to that wholesale customer
            unlinked_id, unlinked = one(
                cur,
                "select ct.id, ct.payload from raw_chatwoot.contacts as ct"
                " where ct.shop_domain = %s"
                " and coalesce(ct.payload -> 'custom_attributes' ->> 'shopify_customer_id', '')"
                "     = ''"
                " and exists (select 1 from raw_chatwoot.conversations as cv"
                "  where cv.shop_domain = ct.shop_domain"
                "  and (cv.payload -> 'meta' -> 'sender' ->> 'id')::bigint"
                "      = (ct.payload ->> 'id')::bigint"
                "  and cv.payload ->> 'created_at' is not null)"
                " order by ct.id limit 1",
                SHOP,
            )
            unlinked["custom_attributes"] = {
                **(unlinked.get("custom_attributes") or {}),
                "shopify_customer_id": wholesale_gid.rsplit("/", 1)[-1],
            }
            land(cur, "raw_chatwoot.contacts", unlinked_id, unlinked)

            # -- a conversation resolved, another gets a new angry message
            resolved_id, resolved = one(
                cur,
                "select id, payload from raw_chatwoot.conversations where shop_domain = %s"
                " and payload ->> 'status' = 'open' order by id limit 1",
                SHOP,
            )
            resolved["status"] = "resolved"
            resolved["last_activity_at"] = int(resolved["created_at"]) + 7200
            land(cur, "raw_chatwoot.conversations", resolved_id, resolved)
            message_id, message = one(
                cur,
                "select id, payload from raw_chatwoot.messages where shop_domain = %s"
                " and payload ->> 'message_type' in ('0', 'incoming')"
                " and payload ->> 'content' is not null"
                " and payload ->> 'conversation_id' is not null"
                " and payload ->> 'conversation_id' <> %s order by id limit 1",
                SHOP,
                str(resolved["id"]),
            )
            message["id"] = 990000301
            message["content"] = "angry terrible broken angry"
            message["created_at"] = int(message["created_at"]) + 60
            cur.execute(
                "insert into raw_chatwoot.messages (shop_domain, id, updated_at, payload, batch_id)"
                " select shop_domain, '990000301', updated_at, %s, 'test'"
                " from raw_chatwoot.messages"
                " where shop_domain = %s and id = %s",
                (json.dumps(message), SHOP, message_id),
            )

            # -- a customer with a contact who wrote messages is redacted
            cur.execute(
                "insert into raw_app.redactions (shop_domain, customer_id, email)"
                " select c.shop_domain, c.id, c.payload -> 'defaultEmailAddress' ->> 'emailAddress'"
                " from raw_shopify.customers as c"
                " join raw_chatwoot.contacts as ct on ct.shop_domain = c.shop_domain"
                "  and ct.payload -> 'custom_attributes' ->> 'shopify_customer_id'"
                "      = split_part(c.id, '/', 5)"
                " where c.shop_domain = %s and c.id <> %s"
                " and exists (select 1 from raw_chatwoot.messages as m"
                "  where m.shop_domain = ct.shop_domain and m.payload ->> 'sender_type' = 'Contact'"
                "  and (m.payload ->> 'sender_id')::bigint = (ct.payload ->> 'id')::bigint)"
                " order by c.id limit 1 returning customer_id",
                (SHOP, wholesale_gid),
            )
            assert cur.rowcount == 1, "no customer with a contact who wrote a message"
            (redacted_gid,) = cur.fetchone()
        run(module_db, tmp_path)

        with conn.cursor() as cur:
            # every change reached the tiles incrementally (else the comparison proves little)
            cur.execute(
                "select distinct customer_segment from marts.fulfillment_tracking as t"
                " join staging.stg_shopify__orders as o on o.shop_domain = t.shop_domain"
                "  and o.order_id = t.shopify_order_id where o.customer_gid = %s",
                (wholesale_gid,),
            )
            assert cur.fetchall() == [("Professional Shop",)], "the segment change missed orders"
            cur.execute(
                "select count(*), count(*) filter (where customer_segment = 'Professional Shop')"
                " from marts.cx_conversations as c join intermediate.int_conversations_measured"
                " as m on m.shop_domain = c.shop_domain and m.conversation_id ="
                " c.chatwoot_conversation_id where m.contact_id in (%s, %s)",
                (contact_id, int(unlinked["id"])),
            )
            conversations, professional = cur.fetchone()
            assert conversations >= 2 and professional == conversations, (
                "the segment change or the linked contact missed conversations"
            )
            cur.execute(
                "select status, sentiment_score < 0 from marts.cx_conversations as c"
                " join intermediate.int_conversation_sentiment_scored as s"
                "  on s.shop_domain = c.shop_domain and s.conversation_id ="
                "  c.chatwoot_conversation_id where c.chatwoot_conversation_id in (%s, %s)"
                " order by c.chatwoot_conversation_id = %s desc",
                (int(resolved["id"]), int(message["conversation_id"]), int(resolved["id"])),
            )
            seen = cur.fetchall()
            assert seen[0][0] == "resolved", "the resolved conversation did not reach the tile"
            assert seen[-1][1], "the angry message did not reach the sentiment"
            assert _issues(cur, zero_id, ahead_id) == {
                (zero_id, "quantity_not_positive"),
                (ahead_id, "future_created_at"),
            }, "the new data issues did not reach int_orders_data_issues"
            copy_aside(cur, "by_key_copy")
        # the models under test rebuilt in full over the same upstream
        run(module_db, tmp_path, "--full-refresh", select=REBUILT)
        with conn.cursor() as cur:
            found = compare(cur, "by_key_copy")
        assert found == dict.fromkeys(found, 0), f"rows differing from a full rebuild: {found}"

        # Three days pass: unanswered conversations breach their SLA; the only raw change is a
        # contact linked to the customer redacted before (its conversations and messages are
        # restaged redacted though none of them changed).
        with conn.cursor() as cur:
            relinked_id, relinked = one(
                cur,
                "select ct.id, ct.payload from raw_chatwoot.contacts as ct"
                " where ct.shop_domain = %s and ct.id <> %s"
                " and coalesce(ct.payload -> 'custom_attributes' ->> 'shopify_customer_id', '')"
                "     <> %s"
                " and exists (select 1 from raw_chatwoot.messages as m"
                "  where m.shop_domain = ct.shop_domain and m.payload ->> 'sender_type' = 'Contact'"
                "  and (m.payload ->> 'sender_id')::bigint = (ct.payload ->> 'id')::bigint)"
                " and exists (select 1 from raw_chatwoot.conversations as cv"
                "  where cv.shop_domain = ct.shop_domain"
                "  and (cv.payload -> 'meta' -> 'sender' ->> 'id')::bigint"
                "      = (ct.payload ->> 'id')::bigint)"
                " order by ct.id limit 1",
                SHOP,
                unlinked_id,
                redacted_gid.rsplit("/", 1)[-1],
            )
            relinked["custom_attributes"] = {
                **(relinked.get("custom_attributes") or {}),
                "shopify_customer_id": redacted_gid.rsplit("/", 1)[-1],
            }
            land(cur, "raw_chatwoot.contacts", relinked_id, relinked)
        run(module_db, tmp_path, as_of=LATER)
        with conn.cursor() as cur:
            cur.execute(
                "select bool_and(is_redacted), count(content) from staging.stg_chatwoot__messages"
                " where shop_domain = %s and sender_type = 'Contact' and sender_id = %s",
                (SHOP, int(relinked["id"])),
            )
            relinked_redacted = cur.fetchone()
            copy_aside(cur, "by_key_later")
        run(module_db, tmp_path, "--full-refresh", as_of=LATER, select=REBUILT)
        with conn.cursor() as cur:
            later = compare(cur, "by_key_later")
            ahead_later = _issues(cur, ahead_id)
    finally:
        conn.close()
    assert relinked_redacted == (True, 0), "a contact linked to a redacted customer kept its text"
    assert later == dict.fromkeys(later, 0), f"rows differing three days later: {later}"
    assert ahead_later == set(), "an order no longer in the future is still listed"


def _issues(cur, *order_gids: str) -> set[tuple[str, str]]:
    cur.execute(
        "select 'gid://shopify/Order/' || order_id, issue"
        " from intermediate.int_orders_data_issues"
        " where shop_domain = %s and 'gid://shopify/Order/' || order_id = any(%s)",
        (SHOP, list(order_gids)),
    )
    return set(cur.fetchall())
