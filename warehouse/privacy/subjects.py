"""Everything that identifies one customer across the raw tables: ids, e-mails, phones, names."""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg2.extensions

CUSTOMER_GID = "gid://shopify/Customer/"
ORDER_GID = "gid://shopify/Order/"


def customer_gid(customer_id: str | int) -> str:
    """Accept a Shopify customer gid or its numeric id; return the gid."""
    text = str(customer_id).strip()
    if text.startswith(CUSTOMER_GID):
        return text
    if text.isdigit():
        return CUSTOMER_GID + text
    raise ValueError(
        f"not a Shopify customer id: {customer_id!r} (use a number or gid://shopify/Customer/N)"
    )


def order_gid(order_id: str | int) -> str:
    text = str(order_id).strip()
    return text if text.startswith("gid://") else ORDER_GID + text


@dataclass
class Subject:
    """A customer of one shop and what is known to identify them."""

    shop_domain: str
    customer_id: str  # gid
    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    contact_ids: set[str] = field(default_factory=set)
    conversation_ids: set[str] = field(default_factory=set)
    order_ids: set[str] = field(default_factory=set)

    @property
    def numeric_id(self) -> str:
        return self.customer_id.rsplit("/", 1)[-1]

    def pii_values(self) -> list[str]:
        """The personal values to hunt for in derived tables (longest first, blanks dropped)."""
        values = {v.strip() for v in self.emails | self.phones | self.names if v and v.strip()}
        return sorted((v for v in values if len(v) >= 4), key=lambda v: (-len(v), v))


def _add(target: set[str], *values: object) -> None:
    for value in values:
        if isinstance(value, str) and value.strip():
            target.add(value.strip())


def find(
    cur: psycopg2.extensions.cursor,
    shop_domain: str,
    customer_id: str | int,
    emails: tuple[str, ...] = (),
    phones: tuple[str, ...] = (),
    order_ids: tuple[str | int, ...] = (),
) -> Subject:
    """Collect the customer's identifiers from the raw tables (before anything is scrubbed)."""
    subject = Subject(shop_domain, customer_gid(customer_id))
    _add(subject.emails, *emails)
    _add(subject.phones, *phones)
    subject.order_ids.update(order_gid(o) for o in order_ids)

    cur.execute(
        "select payload from raw_shopify.customers where shop_domain = %s and id = %s",
        (shop_domain, subject.customer_id),
    )
    for (doc,) in cur.fetchall():
        _add(subject.emails, (doc.get("defaultEmailAddress") or {}).get("emailAddress"))
        _add(subject.phones, (doc.get("defaultPhoneNumber") or {}).get("phoneNumber"))
        first, last = doc.get("firstName"), doc.get("lastName")
        _add(subject.names, doc.get("displayName"))
        if first and last:
            _add(subject.names, f"{first} {last}")

    cur.execute(
        "select id from raw_shopify.orders "
        "where shop_domain = %s and payload #>> '{customer,id}' = %s",
        (shop_domain, subject.customer_id),
    )
    subject.order_ids.update(row[0] for row in cur.fetchall())

    lowered = [e.lower() for e in subject.emails]
    cur.execute(
        """
        select id, payload from raw_chatwoot.contacts
        where shop_domain = %s
          and (payload #>> '{custom_attributes,shopify_customer_id}' = %s
               or lower(payload ->> 'email') = any(%s)
               or id = any(%s))
        """,
        (shop_domain, subject.numeric_id, lowered, _known_contacts(cur, subject)),
    )
    for contact_id, doc in cur.fetchall():
        subject.contact_ids.add(contact_id)
        _add(subject.names, doc.get("name"))
        _add(subject.emails, doc.get("email"))
        _add(subject.phones, doc.get("phone_number"))

    if subject.contact_ids:
        cur.execute(
            """
            select id, payload #> '{meta,sender}' from raw_chatwoot.conversations
            where shop_domain = %s
              and (payload #>> '{meta,sender,id}' = any(%s) or payload ->> 'contact_id' = any(%s))
            """,
            (shop_domain, sorted(subject.contact_ids), sorted(subject.contact_ids)),
        )
        for conversation_id, sender in cur.fetchall():
            subject.conversation_ids.add(conversation_id)
            if isinstance(sender, dict):
                _add(subject.names, sender.get("name"))
                _add(subject.emails, sender.get("email"))
                _add(subject.phones, sender.get("phone_number"))
    return subject


def _known_contacts(cur: psycopg2.extensions.cursor, subject: Subject) -> list[str]:
    """Contacts recorded by an earlier redaction of the same customer."""
    cur.execute(
        """
        select value from raw_app.redaction_subjects
        where shop_domain = %s and customer_id = %s and kind = 'contact'
        """,
        (subject.shop_domain, subject.customer_id),
    )
    return [row[0] for row in cur.fetchall()]
