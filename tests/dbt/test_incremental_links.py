"""cx_commerce_links, incremental by conversation, equals a full rebuild (issue 17).

After a first build, raw data sees every kind of change a conversation's link depends on, in three
rounds, each followed by a plain incremental run, a copy of the model aside, a ``--full-refresh``
of the model alone and a row-for-row comparison (``refreshed_at`` aside):

1. a first incoming message naming an existing order, another naming an order not placed yet; a
   linked order deleted in Shopify (``deleted_at`` only), one moved to another customer, one
   turned test; a contact given a customer's e-mail, another a customer's phone (differently
   written); a customer deleted in Shopify under a contact linked by its custom attribute;
2. the named order placed; a second customer with the e-mail of the first landing (the contact
   matching it is linked no more: the e-mail is shared); the customer behind the phone redacted;
3. that second customer's e-mail changed away (the e-mail is unique again: the contact is linked
   again, though neither it nor the first customer changed).

Each round also checks the links it expects, so a change that never reaches the model fails
even if the full rebuild missed it too. Last, the upgrade: a table an earlier version built
(without the new columns, no watermark) is rebuilt whole by a plain run.
"""

from __future__ import annotations

import json
from pathlib import Path

from sandbox.store import SandboxStore
from tests.dbt.test_incremental_by_key import SHOP as BY_KEY_SHOP
from tests.dbt.test_incremental_by_key import land
from tests.dbt.test_incremental_equals_full import differences
from tests.support.dbt_runs import failure_summary, run_dbt_isolated
from tests.support.raw_loader import load_store
from warehouse.connection import connect
from warehouse.settings import DatabaseUrl

AS_OF = "2026-06-01T12:00:00Z"
SHOP = BY_KEY_SHOP  # land() writes rows of this shop
MODEL = "marts.cx_commerce_links"
STAMPS = {"refreshed_at"}


def run(url: DatabaseUrl, target: Path, *extra: str, select=("+cx_commerce_links",)) -> None:
    args = ["build", "--select", *select, "--exclude-resource-type", "test", "unit_test"]
    result = run_dbt_isolated(url, [*args, *extra], target, as_of=AS_OF)
    assert result.returncode == 0, failure_summary(result)


def fetch(cur, query: str, *params) -> list[tuple]:
    cur.execute(query, params)
    return cur.fetchall()


def one(cur, query: str, *params) -> tuple:
    rows = fetch(cur, query, *params)
    assert rows, f"the sandbox has no row for: {query}"
    return rows[0]


def insert(cur, table: str, row_id: str, payload: dict) -> None:
    cur.execute(
        f"insert into {table} (shop_domain, id, updated_at, payload, batch_id)"  # noqa: S608
        " values (%s, %s, now(), %s, 'test')",
        (SHOP, row_id, json.dumps(payload)),
    )


def link(cur, conversation_id: int) -> tuple:
    """(order_id, order_link_method, customer_id, customer_link_method) of a conversation."""
    return one(
        cur,
        f"select order_id, order_link_method, customer_id, customer_link_method from {MODEL}"  # noqa: S608
        " where shop_domain = %s and conversation_id = %s",
        SHOP,
        conversation_id,
    )


def compare_with_rebuild(conn, url: DatabaseUrl, target: Path, copy: str) -> int:
    """Copies the model aside, rebuilds it in full, and counts the rows that differ."""
    with conn.cursor() as cur:
        cur.execute(f"create table {copy} as select * from {MODEL}")  # noqa: S608
    run(url, target, "--full-refresh", select=("cx_commerce_links",))
    with conn.cursor() as cur:
        cur.execute(f"select count(*) from {MODEL}")  # noqa: S608
        assert cur.fetchone()[0] > 300, "the links are missing"
        cur.execute(
            "select column_name from information_schema.columns where table_schema = 'marts'"
            " and table_name = 'cx_commerce_links' order by ordinal_position"
        )
        cols = [name for (name,) in cur.fetchall() if name not in STAMPS]
        return differences(cur, copy, MODEL, cols)


def rewritten(cur) -> tuple[int, int]:
    """(rows the last run wrote, all rows)."""
    return one(
        cur,
        f"select count(*) filter (where refreshed_at = (select max(refreshed_at) from {MODEL})),"  # noqa: S608
        f" count(*) from {MODEL}",
    )


def test_commerce_links_incremental_equal_a_full_rebuild(
    module_db: DatabaseUrl, store: SandboxStore, tmp_path: Path
) -> None:
    load_store(module_db, store)
    run(module_db, tmp_path)
    conn = connect(module_db, autocommit=True)
    try:
        with conn.cursor() as cur:
            # conversations linked to no order, each of its own contact (several rounds use them)
            unlinked = fetch(
                cur,
                "select distinct on (l.contact_id) l.conversation_id, l.contact_id"
                f" from {MODEL} as l where l.shop_domain = %s and l.order_id is null"  # noqa: S608
                " and l.contact_id is not null and not exists (select 1 from"
                f" {MODEL} as o where o.shop_domain = l.shop_domain"  # noqa: S608
                " and o.contact_id = l.contact_id and o.order_id is not null)"
                " order by l.contact_id, l.conversation_id",
                SHOP,
            )
            assert len(unlinked) >= 4, "the sandbox has too few conversations without an order"
            (
                (named_conv, _),
                (ahead_conv, _),
                (email_conv, email_contact),
                (phone_conv, phone_contact),
            ) = unlinked[:4]
            # conversations linked to an order by its attribute (and to its customer)
            by_order = fetch(
                cur,
                f"select conversation_id, order_id, contact_id from {MODEL}"  # noqa: S608
                " where shop_domain = %s and order_link_method = 'order_attribute'"
                " and customer_link_method = 'order' order by conversation_id limit 3",
                SHOP,
            )
            (gone_conv, gone_order, _), (moved_conv, moved_order, _), (test_conv, test_order, _) = (
                by_order
            )
            # a contact linked to its customer by the custom attribute, with no order link
            attr_conv, attr_contact, attr_customer = one(
                cur,
                f"select conversation_id, contact_id, customer_id from {MODEL}"  # noqa: S608
                " where shop_domain = %s and order_id is null"
                " and customer_link_method = 'contact_attribute'"
                " and contact_id not in (%s, %s) order by conversation_id limit 1",
                SHOP,
                email_contact,
                phone_contact,
            )

            # -- round 1 ------------------------------------------------------------------------
            # a first incoming message naming an existing order (of a customer) ...
            named_id, named_name, named_customer = one(
                cur,
                "select order_id, order_name, customer_id from staging.stg_shopify__orders"
                " where shop_domain = %s and not is_test and customer_id is not null"
                " and order_id not in (%s, %s, %s) order by order_id desc limit 1",
                SHOP,
                gone_order,
                moved_order,
                test_order,
            )
            _message(cur, named_conv, 990000501, f"Where is my order {named_name}? It is late")
            # ... and another naming an order not placed yet
            _message(cur, ahead_conv, 990000502, "About #987654: can I still change it?")
            # a linked order deleted in Shopify (the orders/delete webhook sets deleted_at only)
            cur.execute(
                "update raw_shopify.orders set deleted_at = now() where shop_domain = %s"
                " and id = %s",
                (SHOP, f"gid://shopify/Order/{gone_order}"),
            )
            # a linked order moved to another customer, another turned test
            other_customer = one(
                cur,
                "select id from raw_shopify.customers where shop_domain = %s"
                " and id <> (select payload -> 'customer' ->> 'id' from raw_shopify.orders"
                "  where shop_domain = %s and id = %s) order by id desc limit 1",
                SHOP,
                SHOP,
                f"gid://shopify/Order/{moved_order}",
            )[0]
            moved = _order(cur, moved_order)
            moved["customer"] = {"id": other_customer}
            land(cur, "raw_shopify.orders", f"gid://shopify/Order/{moved_order}", moved)
            tested = _order(cur, test_order)
            tested["test"] = True
            land(cur, "raw_shopify.orders", f"gid://shopify/Order/{test_order}", tested)
            # a contact given (no attribute) the e-mail of a customer no one else has ...
            email_customer, email = one(
                cur,
                "select c.id, c.payload -> 'defaultEmailAddress' ->> 'emailAddress'"
                " from raw_shopify.customers as c where c.shop_domain = %s"
                " and c.payload -> 'defaultEmailAddress' ->> 'emailAddress' is not null"
                " and c.id <> %s order by c.id desc limit 1",
                SHOP,
                other_customer,
            )
            _contact(cur, email_contact, email=f"  {email.upper()} ", phone=None)
            # ... another the phone of a customer, written differently
            phone_customer, phone = one(
                cur,
                "select c.id, c.payload -> 'defaultPhoneNumber' ->> 'phoneNumber'"
                " from raw_shopify.customers as c where c.shop_domain = %s"
                " and c.payload -> 'defaultPhoneNumber' ->> 'phoneNumber' ~ '^\\+1[0-9]{10}$'"
                " and c.id not in (%s, %s) order by c.id desc limit 1",
                SHOP,
                other_customer,
                email_customer,
            )
            _contact(
                cur, phone_contact, email=None, phone=f"({phone[2:5]}) {phone[5:8]}-{phone[8:]}"
            )
            # a customer deleted in Shopify under a contact linked by its attribute (no landing)
            cur.execute(
                "update raw_shopify.customers set deleted_at = now() where shop_domain = %s"
                " and id = %s",
                (SHOP, f"gid://shopify/Customer/{attr_customer}"),
            )
        run(module_db, tmp_path)
        with conn.cursor() as cur:
            first = {
                "named": link(cur, named_conv),
                "ahead": link(cur, ahead_conv),
                "gone": link(cur, gone_conv)[:2],
                "moved": link(cur, moved_conv)[2],
                "test": link(cur, test_conv)[:2],
                "email": link(cur, email_conv)[2:],
                "phone": link(cur, phone_conv)[2:],
                "attribute": link(cur, attr_conv)[2:],
            }
            written, total = rewritten(cur)
        assert first.pop("gone")[0] != gone_order, "a deleted order is still linked"
        assert first.pop("test")[0] != test_order, "a test order is still linked"
        assert first.pop("attribute") != (attr_customer, "contact_attribute"), (
            "a deleted customer is still linked"
        )
        assert first == {
            "named": (named_id, "order_named_in_message", named_customer, "order"),
            "ahead": (None, None, first["ahead"][2], first["ahead"][3]),
            "moved": int(other_customer.rsplit("/", 1)[-1]),
            "email": (int(email_customer.rsplit("/", 1)[-1]), "email"),
            "phone": (int(phone_customer.rsplit("/", 1)[-1]), "phone"),
        }, "a change did not reach the links"
        assert 0 < written < total, f"the incremental run rewrote {written} of {total} links"
        assert compare_with_rebuild(conn, module_db, tmp_path, "public.links_round_1") == 0

        # -- round 2 ----------------------------------------------------------------------------
        with conn.cursor() as cur:
            # the order named ahead is placed
            placed = _order(cur, named_id)
            placed["name"] = "#987654"
            placed["id"] = "gid://shopify/Order/990000601"
            insert(cur, "raw_shopify.orders", placed["id"], placed)
            # a second customer with the first one's e-mail (other case) lands
            twin = dict(_customer(cur, email_customer))
            twin["id"] = "gid://shopify/Customer/990000701"
            twin["defaultEmailAddress"] = {"emailAddress": email.upper()}
            twin["defaultPhoneNumber"] = None
            insert(cur, "raw_shopify.customers", twin["id"], twin)
            # the customer behind the phone is redacted
            cur.execute(
                "insert into raw_app.redactions (shop_domain, customer_id, email)"
                " select shop_domain, id, payload -> 'defaultEmailAddress' ->> 'emailAddress'"
                " from raw_shopify.customers where shop_domain = %s and id = %s",
                (SHOP, phone_customer),
            )
        run(module_db, tmp_path)
        with conn.cursor() as cur:
            second = {
                "ahead": link(cur, ahead_conv)[:2],
                "email": link(cur, email_conv)[2:],
                "phone": link(cur, phone_conv)[2:],
            }
            shared = one(
                cur,
                f"select is_customer_match_shared from {MODEL}"  # noqa: S608
                " where shop_domain = %s and conversation_id = %s",
                SHOP,
                email_conv,
            )[0]
        assert second == {
            "ahead": (990000601, "order_named_in_message"),
            "email": (None, None),
            "phone": (None, None),
        }, "a change of round 2 did not reach the links"
        assert shared
        assert compare_with_rebuild(conn, module_db, tmp_path, "public.links_round_2") == 0

        # -- round 3: the twin's e-mail changes away: the first customer's is unique again -------
        with conn.cursor() as cur:
            twin["defaultEmailAddress"] = {"emailAddress": "someone.else@example.com"}
            land(cur, "raw_shopify.customers", twin["id"], twin)
        run(module_db, tmp_path)
        with conn.cursor() as cur:
            third = link(cur, email_conv)[2:]
        assert third == (int(email_customer.rsplit("/", 1)[-1]), "email")
        assert compare_with_rebuild(conn, module_db, tmp_path, "public.links_round_3") == 0

        # -- the upgrade: the table an earlier version built (no new columns, no watermark) ------
        with conn.cursor() as cur:
            cur.execute(
                f"alter table {MODEL} drop column refreshed_at,"  # noqa: S608
                " drop column named_order_name, drop column is_customer_match_shared"
            )
            cur.execute(f"update {MODEL} set order_id = null, customer_id = null")  # noqa: S608
            cur.execute(
                "delete from raw_app.dbt_watermarks where model_name = 'marts.cx_commerce_links'"
            )
        run(module_db, tmp_path, select=("cx_commerce_links",))
        assert compare_with_rebuild(conn, module_db, tmp_path, "public.links_upgraded") == 0
    finally:
        conn.close()


def _message(cur, conversation_id: int, message_id: int, content: str) -> None:
    """A new incoming message from the conversation's contact, before any other."""
    conversation = one(
        cur,
        "select payload from raw_chatwoot.conversations where shop_domain = %s and id = %s",
        SHOP,
        str(conversation_id),
    )[0]
    payload = {
        "id": message_id,
        "content": content,
        "private": False,
        "inbox_id": conversation["inbox_id"],
        "sender_id": conversation["meta"]["sender"]["id"],
        "account_id": conversation["account_id"],
        "created_at": int(conversation["created_at"]) - 1,
        "updated_at": int(conversation["created_at"]) - 1,
        "sender_type": "Contact",
        "message_type": 0,
        "conversation_id": conversation_id,
    }
    insert(cur, "raw_chatwoot.messages", str(message_id), payload)


def _order(cur, order_id: int) -> dict:
    return one(
        cur,
        "select payload from raw_shopify.orders where shop_domain = %s and id = %s",
        SHOP,
        f"gid://shopify/Order/{order_id}",
    )[0]


def _customer(cur, gid: str) -> dict:
    return one(
        cur,
        "select payload from raw_shopify.customers where shop_domain = %s and id = %s",
        SHOP,
        gid,
    )[0]


def _contact(cur, contact_id: int, email: str | None, phone: str | None) -> None:
    """The contact loses its customer attribute and takes this e-mail and phone."""
    contact = one(
        cur,
        "select payload from raw_chatwoot.contacts where shop_domain = %s and id = %s",
        SHOP,
        str(contact_id),
    )[0]
    contact["custom_attributes"] = {}
    contact["identifier"] = None
    contact["email"] = email
    contact["phone_number"] = phone
    land(cur, "raw_chatwoot.contacts", str(contact_id), contact)
