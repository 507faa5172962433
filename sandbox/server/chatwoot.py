"""Chatwoot Application API stand-in: profile, conversations, messages, agents, inboxes, contacts,
CSAT survey responses.

Shapes follow the Chatwoot OpenAPI description (``user``, ``conversation_list``, the messages
response, ``agent``, the inboxes response, ``contacts_list_response``) and Chatwoot's own views
and filters:

- page sizes as Chatwoot's: 25 conversations (newest activity first), 20 messages (``before``)
  or 100 (``after``), 15 contacts (ascending id, or as ``sort`` asks: see ``contact_order``);
- a conversation's absent times are rendered ``0`` (its jbuilder calls ``.to_i`` on
  ``first_reply_created_at`` and ``waiting_since``), and ``meta.assignee`` is left out when
  unassigned;
- contacts are listed only when they have an email, a phone number or an identifier
  (``Contact.resolved_contacts``);
- who is asking matters (``Conversations::PermissionFilterService``, ``InboxPolicy::Scope``): an
  administrator lists everything; an agent lists only the conversations of the inboxes it is a
  member of (or assigned to it), only those inboxes, and is refused (401) another inbox's
  messages. Agents, contacts and the profile are open to both.

Tokens: the sandbox token (``Credentials.chatwoot_token``) belongs to the installation's owner, an
administrator of every account (not one of the generated agents, so the generated business is
unchanged); each generated agent has the token ``agent_token(id)`` with its own role. Inbox
membership, which the generator does not model: an administrator belongs to every inbox of its
account, the k-th other agent of an account (by id) to the account's inbox number k modulo the
number of inboxes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.server.chatwoot_hooks import ChatwootHooks
from sandbox.server.chatwoot_sort import contact_order, contact_sorts
from sandbox.server.data import DataAccess
from sandbox.server.faults import FaultInjector

CONVERSATIONS_PER_PAGE = 25
MESSAGES_PER_PAGE = 20
MESSAGES_AFTER_PER_PAGE = 100
CONTACTS_PER_PAGE = 15
CSAT_PER_PAGE = 25  # CsatSurveyResponsesController::RESULTS_PER_PAGE
STATUSES = ("open", "resolved", "pending", "snoozed")
ABSENT_AS_ZERO = ("first_reply_created_at", "waiting_since")
OWNER_ID = 9001
NOT_AUTHORIZED = {"error": "You are not authorized to do this action"}

Response = tuple[int, Any]


def agent_token(agent_id: int | str) -> str:
    """The sandbox access token of a generated agent (its role is the agent's own)."""
    return f"cw_sandbox_agent_{agent_id}"


@dataclass(frozen=True)
class User:
    """Who a token belongs to: an id, a name, and a role per account id."""

    id: int
    name: str
    email: str
    roles: dict[int, str]

    def is_admin(self, account_id: int) -> bool:
        return self.roles.get(int(account_id)) == "administrator"


def _page(params: dict[str, str]) -> int:
    try:
        return max(1, int(params.get("page", "1")))
    except ValueError:
        return 1


def _as_served(conversation: dict) -> dict:
    """Chatwoot omits ``meta.assignee`` for unassigned conversations (its jbuilder only adds
    the key when there is an assignee) and renders an absent time as 0 (``nil.to_i``); the
    landed shape stores both as null."""
    served = dict(conversation)
    meta = served.get("meta")
    if isinstance(meta, dict) and meta.get("assignee", 0) is None:
        served["meta"] = {k: v for k, v in meta.items() if k != "assignee"}
    for key in ABSENT_AS_ZERO:
        if key in served and served[key] is None:
            served[key] = 0
    return served


def _resolved(contact: dict) -> bool:
    """Listed by Chatwoot: an email, a phone number or an identifier that is not blank."""
    return any(
        contact.get(key) not in (None, "") for key in ("email", "phone_number", "identifier")
    )


def _maybe_corrupt(faults: FaultInjector, payload: dict) -> dict:
    if faults.is_malformed(f"chatwoot:{payload.get('id')}"):
        return {**payload, "id": None}
    return payload


class Chatwoot:
    def __init__(self, data: DataAccess, faults: FaultInjector) -> None:
        self.data = data
        self.faults = faults
        self.hooks = ChatwootHooks()

    # --- who is asking -----------------------------------------------------------------------

    def user_for(self, token: str | None, owner_token: str) -> User | None:
        """The user a token belongs to, or None (401)."""
        if not token:
            return None
        if token == owner_token:
            roles = {int(s["chatwoot_account_id"]): "administrator" for s in self.data.shops()}
            return User(OWNER_ID, "Sandbox Owner", "owner@sandbox.invalid", roles)
        return self._agent_users().get(token)

    def _agent_users(self) -> dict[str, User]:
        def build() -> dict[str, User]:
            users: dict[str, User] = {}
            for shop in self.data.shops():
                for record in self.data.scan("chatwoot", "agents", shop["domain"]):
                    agent = record.payload
                    token = agent_token(agent["id"])
                    known = users.get(token)  # one user may belong to several accounts
                    roles = dict(known.roles) if known else {}
                    roles[int(agent["account_id"])] = str(agent.get("role") or "agent")
                    users[token] = User(int(agent["id"]), agent["name"], agent["email"], roles)
            return users

        return self.data.cached(("chatwoot-users",), build)

    def _member_inboxes(self, shop: str, account_id: int, user: User) -> set[int] | None:
        """The inbox ids the user belongs to in the account; None: every inbox (admin)."""
        if user.is_admin(account_id):
            return None
        inboxes = sorted(int(r.payload["id"]) for r in self.data.scan("chatwoot", "inboxes", shop))
        agents = sorted(
            int(r.payload["id"])
            for r in self.data.scan("chatwoot", "agents", shop)
            if r.payload.get("role") != "administrator"
        )
        if user.id not in agents or not inboxes:
            return set()
        return {inboxes[agents.index(user.id) % len(inboxes)]}

    def profile(self, user: User) -> Response:
        """``GET /api/v1/profile`` (OpenAPI ``user``): the user and its role in each account."""
        shops = {int(s["chatwoot_account_id"]): s for s in self.data.shops()}
        accounts = [
            {
                "id": account_id,
                "name": shops[account_id]["name"] if account_id in shops else "",
                "status": "active",
                "active_at": None,
                "role": role,
                "permissions": [role],
                "availability": "online",
                "availability_status": "online",
                "auto_offline": True,
                "custom_role_id": None,
            }
            for account_id, role in sorted(user.roles.items())
        ]
        first = accounts[0] if accounts else {}
        return 200, {
            "id": user.id,
            "account_id": first.get("id"),
            "available_name": user.name,
            "avatar_url": "",
            "confirmed": True,
            "display_name": None,
            "message_signature": None,
            "email": user.email,
            "name": user.name,
            "provider": "email",
            "role": first.get("role"),
            "ui_settings": {},
            "uid": user.email,
            "type": "User",
            "custom_attributes": {},
            "accounts": accounts,
        }

    # --- account routes ----------------------------------------------------------------------

    def route(
        self, account_id: int, rest: list[str], params: dict[str, str], user: User
    ) -> Response:
        shop = self.data.shop_for_account(account_id)
        if shop is None or account_id not in user.roles:
            return 404, {"error": "Resource could not be found"}
        domain = shop["domain"]
        members = self._member_inboxes(domain, account_id, user)
        if rest == ["conversations"]:
            return self.conversations(domain, params, user, members)
        if len(rest) == 3 and rest[0] == "conversations" and rest[2] == "messages":
            return self.messages(domain, rest[1], params, user, members)
        if rest == ["agents"]:
            return 200, [
                _maybe_corrupt(self.faults, r.payload)
                for r in self.data.scan("chatwoot", "agents", domain)
            ]
        if rest == ["inboxes"]:
            return 200, {
                "payload": [
                    r.payload
                    for r in self.data.scan("chatwoot", "inboxes", domain)
                    if members is None or int(r.payload["id"]) in members
                ]
            }
        if rest == ["contacts"]:
            return self.contacts(domain, params)
        if rest == ["csat_survey_responses"]:
            if not user.is_admin(account_id):  # CsatSurveyResponsePolicy#index?
                return 401, NOT_AUTHORIZED
            return self.csat_survey_responses(domain, params)
        if rest == ["v2", "reports", "summary"] and members is None:
            return self.reports_summary(domain, params)
        if rest == ["webhooks"]:
            if not user.is_admin(account_id):
                return 401, {"error": "You are not authorized to do this action"}
            return 200, self.hooks.list(account_id)
        return 404, {"error": "Resource could not be found"}

    def reports_summary(self, shop: str, params: dict[str, str]) -> Response:
        """``GET /api/v2/accounts/{id}/reports/summary?type=account&since=&until=`` (epoch
        seconds): the account's conversations created in [since, until), their average first
        response and resolution time (seconds, as strings), messages and resolutions, from the
        store's records; ``previous`` is the window of the same length before."""
        if params.get("type", "account") != "account":
            return 422, {"error": "the sandbox reports only type=account"}
        try:
            since, until = int(params["since"]), int(params["until"])
        except (KeyError, ValueError):
            return 422, {"error": "since and until must be epoch seconds"}
        current = self._summary(shop, since, until)
        current["previous"] = self._summary(shop, 2 * since - until, since)
        return 200, current

    def _summary(self, shop: str, since: int, until: int) -> dict:
        first_waits, resolution_waits = [], []
        count = incoming = outgoing = resolved = 0
        for record in self.data.scan("chatwoot", "conversations", shop):
            conv = record.payload
            created = int(conv["created_at"])
            if not since <= created < until:
                continue
            count += 1
            reply = conv.get("first_reply_created_at")
            if reply:
                first_waits.append(int(reply) - created)
            if conv.get("status") == "resolved":
                resolved += 1
                resolution_waits.append(int(conv["updated_at"]) - created)
            for message in self.data.page("chatwoot", "messages", shop, parent_id=str(conv["id"])):
                kind = message.payload.get("message_type")
                incoming += kind == 0
                outgoing += kind == 1 and not message.payload.get("private")

        def average(values: list[int]) -> str:
            return str(round(sum(values) / len(values), 2)) if values else "0"

        return {
            "avg_first_response_time": average(first_waits),
            "avg_resolution_time": average(resolution_waits),
            "conversations_count": count,
            "incoming_messages_count": incoming,
            "outgoing_messages_count": outgoing,
            "resolutions_count": resolved,
        }

    def create_webhook(self, account_id: int, given: Any, user: User) -> Response:
        """``POST /api/v1/accounts/{id}/webhooks`` (administrators; the webhook object back)."""
        if self.data.shop_for_account(account_id) is None or account_id not in user.roles:
            return 404, {"error": "Resource could not be found"}
        if not user.is_admin(account_id):
            return 401, {"error": "You are not authorized to do this action"}
        return self.hooks.create(account_id, given)

    def conversations(
        self, shop: str, params: dict[str, str], user: User, members: set[int] | None
    ) -> Response:
        status = params.get("status", "open")
        if status not in (*STATUSES, "all"):
            return 422, {"error": f"Invalid status {status!r}"}
        matching, assigned, unassigned = self._listing(shop, status)
        if members is not None:  # an agent: its inboxes, and what is assigned to it
            matching = [r for r in matching if r[3] in members or r[4] == user.id]
            assigned = [r for r in matching if r[2]]
            unassigned = [r for r in matching if not r[2]]
        mine = [r for r in matching if r[4] == user.id]
        assignee = params.get("assignee_type", "all")
        chosen = {"assigned": assigned, "unassigned": unassigned, "me": mine}.get(
            assignee, matching
        )
        page = _page(params)
        start = (page - 1) * CONVERSATIONS_PER_PAGE
        rows = []
        for record_id, *_ in chosen[start : start + CONVERSATIONS_PER_PAGE]:
            payload = self.data.get("chatwoot", "conversations", shop, record_id)
            if payload is not None:
                rows.append(_maybe_corrupt(self.faults, _as_served(payload)))
        meta = {
            "mine_count": len(mine),
            "assigned_count": len(assigned),
            "unassigned_count": len(unassigned),
            "all_count": len(matching),
        }
        return 200, {"data": {"meta": meta, "payload": rows}}

    def _listing(self, shop: str, status: str) -> tuple[list, list, list]:
        """(matching, assigned, unassigned) conversations of a status filter, built once per
        shop and filter (not per page: a large shop lists ~100,000 conversations)."""

        def build() -> tuple[list, list, list]:
            index = self.data.conversation_order(shop)
            matching = [row for row in index if status == "all" or row[1] == status]
            assigned = [row for row in matching if row[2]]
            unassigned = [row for row in matching if not row[2]]
            return matching, assigned, unassigned

        return self.data.cached(("conversation-listing", shop, status), build)

    def messages(
        self,
        shop: str,
        conversation_id: str,
        params: dict[str, str],
        user: User,
        members: set[int] | None,
    ) -> Response:
        conversation = self.data.get("chatwoot", "conversations", shop, conversation_id)
        if conversation is None:
            return 404, {"error": "Resource could not be found"}
        assignee = (conversation.get("meta") or {}).get("assignee") or {}
        if members is not None and not (
            int(conversation.get("inbox_id") or 0) in members or assignee.get("id") == user.id
        ):
            return 401, NOT_AUTHORIZED
        records = self.data.page("chatwoot", "messages", shop, parent_id=conversation_id)
        rows = sorted((r.payload for r in records), key=lambda m: int(m.get("id") or 0))
        try:
            if params.get("after"):
                after = int(params["after"])
                rows = [m for m in rows if int(m["id"]) > after][:MESSAGES_AFTER_PER_PAGE]
            else:
                if params.get("before"):
                    before = int(params["before"])
                    rows = [m for m in rows if int(m["id"]) < before]
                rows = rows[-MESSAGES_PER_PAGE:]
        except ValueError:
            return 422, {"error": "before/after must be message ids"}
        meta_src = conversation.get("meta") or {}
        meta = {
            "labels": conversation.get("labels") or [],
            "additional_attributes": conversation.get("additional_attributes") or {},
            "contact": meta_src.get("sender"),
            "assignee": meta_src.get("assignee"),
            "agent_last_seen_at": None,
            "assignee_last_seen_at": None,
        }
        return 200, {"meta": meta, "payload": [_maybe_corrupt(self.faults, m) for m in rows]}

    def contacts(self, shop: str, params: dict[str, str]) -> Response:
        """``GET /api/v1/accounts/{id}/contacts?page=N[&sort=]``: 15 listed contacts per page,
        in the order ``sort`` asks for (``contact_sorts``), else ascending id."""
        ids = self._contact_ids(shop, contact_sorts(params.get("sort", "")))
        page = _page(params)
        start = (page - 1) * CONTACTS_PER_PAGE
        rows = []
        for record_id in ids[start : start + CONTACTS_PER_PAGE]:
            payload = self.data.get("chatwoot", "contacts", shop, record_id)
            if payload is not None:
                rows.append(_maybe_corrupt(self.faults, payload))
        return 200, {"meta": {"count": len(ids), "current_page": page}, "payload": rows}

    def csat_survey_responses(self, shop: str, params: dict[str, str]) -> Response:
        """``GET /api/v1/accounts/{id}/csat_survey_responses`` (Chatwoot's
        ``CsatSurveyResponsesController#index``, administrators only): a bare JSON array of 25
        responses per ``page``; ``since`` and ``until`` (epoch seconds, both or neither) keep
        those created in [since, until); ``inbox_id`` and ``rating`` filter too. No sort is asked
        for, so the order is the table's: ascending id. ``contact`` is the contact's current
        record (the model's association), ``assigned_agent`` the agent as the agents list."""
        try:
            since = int(params["since"]) if params.get("since") and params.get("until") else None
            until = int(params["until"]) if since is not None else None
            rating = int(params["rating"]) if params.get("rating") else None
            inbox = int(params["inbox_id"]) if params.get("inbox_id") else None
        except ValueError:
            return 422, {"error": "since, until, rating and inbox_id must be integers"}

        def build() -> list[dict]:
            rows = [r.payload for r in self.data.scan("chatwoot", "csat_survey_responses", shop)]
            if since is not None and until is not None:
                rows = [r for r in rows if since <= int(r["created_at"]) < until]
            if rating is not None:
                rows = [r for r in rows if r.get("rating") == rating]
            if inbox is not None:
                rows = [r for r in rows if self._conversation_inbox(shop, r) == inbox]
            return sorted(rows, key=lambda r: int(r.get("id") or 0))

        # the filtered list is built once per store version, not once per page (O(pages x rows))
        rows = self.data.cached(("csat", shop, since, until, rating, inbox), build)
        page = _page(params)
        start = (page - 1) * CSAT_PER_PAGE
        served = []
        for row in rows[start : start + CSAT_PER_PAGE]:
            contact = row.get("contact") or {}
            current = self.data.get("chatwoot", "contacts", shop, str(contact.get("id")))
            served.append(_maybe_corrupt(self.faults, {**row, "contact": current or contact}))
        return 200, served

    def _conversation_inbox(self, shop: str, response: dict) -> int | None:
        conversation = self.data.get(
            "chatwoot", "conversations", shop, str(response.get("conversation_id"))
        )
        return int(conversation["inbox_id"]) if conversation else None

    def _contact_ids(self, shop: str, sorts: tuple[tuple[str, bool], ...]) -> list[str]:
        """The listed contacts' ids in the order ``sorts`` asks for (none: ascending id), built
        once per store version and sort, not once per page."""

        def build() -> list[str]:
            listed = {
                r.id: r.payload
                for r in self.data.scan("chatwoot", "contacts", shop)
                if _resolved(r.payload)
            }
            return contact_order(listed, sorts)

        return self.data.cached(("resolved-contacts", shop, sorts), build)
