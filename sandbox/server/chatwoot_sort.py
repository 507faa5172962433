r"""Chatwoot's contact sorts, as ``GET /api/v1/accounts/{id}/contacts?sort=`` applies them.

Chatwoot's ``ContactsController`` sorts with the Sift gem (procore-sift 1.0.0)::

    sort_on :email, type: :string
    sort_on :name, internal_name: :order_on_name, type: :scope, scope_params: [:direction]
    sort_on :phone_number, type: :string
    sort_on :last_activity_at, internal_name: :order_on_last_activity_at, type: :scope, ...

(the controller declares a few more, created_at, company, city, country, depending on the
release; the published OpenAPI description, ``contact_sort_param``, documents these four and the
stand-in sorts on these four only: any other field leaves its list unsorted).

What Sift does with ``sort``:

- it splits it on commas; ``-field`` is descending, ``field`` ascending; a field named twice
  keeps its last direction;
- each declared sort named adds its ORDER BY term, in the order the controller declares them
  (email, name, phone_number, last_activity_at) whatever the order within ``sort``;
- a field it does not declare is ignored: no error, the list keeps its unsorted order (the
  controller never calls Sift's ``filters_valid?``). An empty ``sort`` sorts nothing.

The ORDER BY terms (PostgreSQL):

- email, phone_number (``type: :string``): ``LOWER(email) ASC|DESC``. No NULLS clause, so
  PostgreSQL's default: nulls last ascending, first descending.
- name (``Contact.order_on_name``): ``CASE WHEN name ~~* '^+\d*' THEN 'z' WHEN name ~~* '^\b*'
  THEN 'z' ELSE LOWER(name) END ASC|DESC``, no NULLS clause either. ``~~*`` is ILIKE, not a
  regular expression, and Ruby's double-quoted string turns ``\d`` into ``d`` and ``\b`` into a
  backspace: only a name equal (case aside) to ``^+d*`` or ``^<backspace>*`` sorts as ``z``.
- last_activity_at (``Contact.order_on_last_activity_at``): ``last_activity_at ASC|DESC NULLS
  LAST``.

Where the stand-in has to choose what PostgreSQL leaves open, or lacks what Chatwoot keeps:

- ties, and the unsorted list, are in ascending id (PostgreSQL returns them in no set order);
- text compares by code point (as ``COLLATE "C"``), not by the database's collation;
- ``last_activity_at`` is the payload's epoch seconds (Chatwoot renders its column with ``.to_i``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

# the documented sorts, in the order the controller declares them (the order of the ORDER BY)
SORTS = ("email", "name", "phone_number", "last_activity_at")
# the terms that say NULLS LAST whatever the direction; the others take PostgreSQL's default
NULLS_LAST = frozenset({"last_activity_at"})
# order_on_name's two ILIKE patterns as PostgreSQL receives them: names equal to them sort as 'z'
NAME_AS_Z = ("^+d*", "^\b*")

Sorts = tuple[tuple[str, bool], ...]  # (field, descending), most significant first


def contact_sorts(raw: str) -> Sorts:
    """``sort`` as Sift reads it: (field, descending) for each documented field it names, in
    the controller's order; anything else is ignored."""
    asked: dict[str, bool] = {}
    for part in raw.split(","):
        descending = part.startswith("-")
        asked[part[1:] if descending else part] = descending
    return tuple((field, asked[field]) for field in SORTS if field in asked)


def contact_order(contacts: Mapping[str, dict], sorts: Sorts) -> list[str]:
    """The ids of ``contacts`` (id -> payload) in the order Chatwoot lists them under ``sorts``
    (ties in ascending id)."""
    ids = sorted(contacts, key=_id_key)
    for field, descending in reversed(sorts):  # stable sorts, least significant term first
        ids.sort(key=_key_for(contacts, field, descending), reverse=descending)
    return ids


def _id_key(record_id: str) -> tuple[int, str]:
    """Numeric ids in numeric order (after any that are not numeric)."""
    return (len(record_id), record_id) if record_id.isdigit() else (0, record_id)


def _key_for(contacts: Mapping[str, dict], field: str, descending: bool) -> Callable[[str], tuple]:
    """A sort key for one ORDER BY term, nulls placed as PostgreSQL places them (the list is
    sorted with ``reverse=descending``, so a null placed last descending must sort lowest)."""
    nulls_last = field in NULLS_LAST or not descending
    null_rank = int(nulls_last != descending)

    def key(record_id: str) -> tuple:
        value = _term(field, contacts[record_id])
        return (null_rank,) if value is None else (1 - null_rank, value)

    return key


def _term(field: str, contact: dict) -> Any:
    """The value the ORDER BY term compares for one contact (None: SQL null)."""
    value = contact.get(field)
    if field == "last_activity_at":
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        return value if numeric else None
    if value is None:
        return None
    lowered = str(value).lower()
    if field == "name" and lowered in NAME_AS_Z:
        return "z"
    return lowered
