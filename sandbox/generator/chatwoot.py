"""Chatwoot: agents, inboxes, contacts, and conversations with messages tied to orders.

Like orders, a conversation is a *plan* (all its messages, escalation and resolution, some maybe
after the clock) rendered as of a moment. Ids are global across accounts (one Chatwoot server).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from sandbox.generator.clock import DAY, local_hour
from sandbox.generator.rand import below, randint
from sandbox.generator.shops import SHOPS, ShopDef

MINUTE = 60
HOUR = 3600

# (name, median first-response minutes) per account: several agents with different speeds.
AGENTS = {
    1: (
        ("Maria Lopez", 12),
        ("Jake Turner", 24),
        ("Priya Shah", 38),
        ("Sam Ortiz", 52),
        ("Kim Nguyen", 75),
        ("Dale Whitfield", 115),
    ),
    2: (("Rosa Delgado", 18), ("Tom Becker", 34), ("Ann Price", 60), ("Cole Harmon", 105)),
    3: (("Emily Tremblay", 22), ("Marc Gagnon", 48), ("Sarah Wong", 90)),
}
INBOXES = {
    1: (
        ("Website Chat", "Channel::WebWidget"),
        ("Support Email", "Channel::Email"),
        ("Text Line", "Channel::Sms"),
    ),
    2: (("Website Chat", "Channel::WebWidget"), ("Support Email", "Channel::Email")),
    3: (("Website Chat", "Channel::WebWidget"), ("Support Email", "Channel::Email")),
}
ESCALATION_REASONS = (
    "customer threatened chargeback",
    "damaged goods over $500",
    "third contact about the same order",
    "wholesale account at risk",
    "safety concern with fuel system part",
)

OPENERS = {
    "order_status": (
        ("neutral", "Hi, could you tell me when order {order} will ship? Thanks."),
        ("neutral", "Checking on order {order}, is there a tracking number yet?"),
        (
            "negative",
            "My order {order} still hasn't shipped and I'm disappointed, the car is apart waiting.",
        ),
        (
            "very_negative",
            "This is unacceptable. Order {order} is late again and nobody answers. Worst service.",
        ),
    ),
    "fitment": (
        ("neutral", "Will the {product} fit a {vehicle}? Stock engine."),
        ("positive", "Love your stuff! Quick question: does the {product} fit my {vehicle}?"),
        ("neutral", "What AN size do I need for the {product} on a {vehicle}?"),
    ),
    "return": (
        ("neutral", "I need to return the {product} from order {order}, it does not fit."),
        (
            "negative",
            "The {product} from {order} is the wrong part. Frustrating, how do I return it?",
        ),
    ),
    "damaged_goods": (
        (
            "very_negative",
            "The {product} in order {order} arrived damaged. Terrible packing, I am furious.",
        ),
        ("negative", "Box for order {order} was crushed and the {product} is bent. Not happy."),
    ),
    "missing_items": (
        ("negative", "Order {order} arrived but the {product} is missing from the box. Problem."),
        ("very_negative", "Missing parts again in order {order}! Ridiculous, I want a refund."),
    ),
    "wrong_address": (
        (
            "negative",
            "Tracking for {order} says delivery attempted but I never got it. Wrong address?",
        ),
    ),
    "praise": (
        (
            "positive",
            "Just installed the {product} from {order}, works great. Awesome service, thanks!",
        ),
    ),
}
AGENT_REPLIES = (
    "Thanks for reaching out! Let me look into that for you.",
    "Happy to help. I'm checking with the warehouse now.",
    "Thanks for your patience, here is what I found.",
    "Sorry about the trouble. I'll sort this out today.",
)
CUSTOMER_FOLLOWUPS = (
    ("neutral", "Ok, let me know what you find."),
    ("negative", "Still waiting on an answer, this is getting frustrating."),
    ("positive", "Great, thank you so much!"),
    ("very_negative", "This is the worst experience I've had, I'll file a chargeback."),
)
AGENT_FOLLOWUPS = (
    "Your order shipped today, tracking is on the way.",
    "I've issued a replacement at no charge.",
    "That part fits with the stock brackets, you're good to go.",
    "I've processed the return label, you should have it by email.",
)
CLOSERS = (
    "Thanks, appreciate the help!",
    "Perfect, that's great. Thanks again.",
    "Got it, thanks.",
)
TOPIC_LABELS = {
    "order_status": "order-status",
    "fitment": "fitment",
    "return": "returns",
    "damaged_goods": "damaged",
    "missing_items": "missing-items",
    "wrong_address": "shipping",
    "praise": "feedback",
}


@dataclass(frozen=True)
class Agent:
    id: int
    account_id: int
    name: str
    median_minutes: float

    @property
    def email(self) -> str:
        return self.name.lower().replace(" ", ".") + f"@support{self.account_id}.example.com"


def agents_by_account() -> dict[int, list[Agent]]:
    result: dict[int, list[Agent]] = {}
    next_id = 1
    for account in sorted(AGENTS):
        result[account] = []
        for name, speed in AGENTS[account]:
            result[account].append(Agent(next_id, account, name, speed))
            next_id += 1
    return result


def inboxes_by_account() -> dict[int, list[tuple[int, str, str]]]:
    result: dict[int, list[tuple[int, str, str]]] = {}
    next_id = 1
    for account in sorted(INBOXES):
        result[account] = []
        for name, channel in INBOXES[account]:
            result[account].append((next_id, name, channel))
            next_id += 1
    return result


def agent_payload(agent: Agent) -> dict:
    return {
        "id": agent.id,
        "account_id": agent.account_id,
        "name": agent.name,
        "email": agent.email,
        "role": "administrator"
        if agent.median_minutes == AGENTS[agent.account_id][0][1]
        else "agent",
        "availability_status": "online" if agent.median_minutes < 60 else "busy",
    }


# Working hours per (account, inbox name), as Chatwoot's ``weekly_schedule`` renders them:
# day_of_week 0 (Sunday) .. 6, each a day closed, open all day, or open from (hour, minutes) to
# (hour, minutes) local time. An inbox not listed keeps Chatwoot's default schedule (Monday to
# Friday 9:00-17:00, the weekend closed, ``OutOfOffisable#create_default_working_hours``) with
# working hours disabled.
WEEKDAYS_9_TO_5 = {day: ((9, 0), (17, 0)) for day in range(1, 6)}
WORKING_HOURS = {
    (1, "Website Chat"): {**{d: ((8, 0), (18, 0)) for d in range(1, 6)}, 6: ((9, 0), (13, 0))},
    (1, "Support Email"): WEEKDAYS_9_TO_5,
    (2, "Website Chat"): {d: ((7, 30), (17, 30)) for d in range(1, 6)},
    (3, "Website Chat"): {**WEEKDAYS_9_TO_5, 6: "open_all_day"},
    (3, "Support Email"): WEEKDAYS_9_TO_5,
}
CSAT_CHANNELS = ("Channel::WebWidget", "Channel::Email")  # inboxes that send the CSAT survey


def weekly_schedule(hours: dict) -> list[dict]:
    """Chatwoot's ``weekly_schedule``: one entry per day of the week, Sunday first."""
    days = []
    for day in range(7):
        spec = hours.get(day)
        if isinstance(spec, tuple):
            (open_hour, open_minutes), (close_hour, close_minutes) = spec
            days.append(
                {"day_of_week": day, "closed_all_day": False, "open_hour": open_hour,
                 "open_minutes": open_minutes, "close_hour": close_hour,
                 "close_minutes": close_minutes, "open_all_day": False}
            )  # fmt: skip
        elif spec == "open_all_day":  # Chatwoot stores an all-day opening as 00:00-23:59
            days.append(
                {"day_of_week": day, "closed_all_day": False, "open_hour": 0,
                 "open_minutes": 0, "close_hour": 23, "close_minutes": 59, "open_all_day": True}
            )  # fmt: skip
        else:
            days.append(
                {"day_of_week": day, "closed_all_day": True, "open_hour": None,
                 "open_minutes": None, "close_hour": None, "close_minutes": None,
                 "open_all_day": False}
            )  # fmt: skip
    return days


def inbox_payload(inbox: tuple[int, str, str], account_id: int, timezone: str) -> dict:
    """An inbox as the inboxes list renders it (the fields the sandbox models): its working
    hours (enabled or not; every inbox has a schedule), its timezone, and whether it sends the
    CSAT survey."""
    hours = WORKING_HOURS.get((account_id, inbox[1]))
    return {
        "id": inbox[0],
        "name": inbox[1],
        "channel_type": inbox[2],
        "working_hours_enabled": hours is not None,
        "working_hours": weekly_schedule(hours if hours is not None else WEEKDAYS_9_TO_5),
        "timezone": timezone,
        "csat_survey_enabled": inbox[2] in CSAT_CHANNELS,
    }


_INBOX_CHANNELS = {i[0]: i[2] for inboxes in inboxes_by_account().values() for i in inboxes}
_AGENT_DEFS = {a.id: a for agents in agents_by_account().values() for a in agents}


class ChatwootIds:
    """Global id counters (one Chatwoot server serves the three accounts)."""

    def __init__(self, conversation: int = 0, message: int = 0, contact: int = 0) -> None:
        self.conversation = conversation
        self.message = message
        self.contact = contact

    def as_dict(self) -> dict[str, int]:
        return {
            "conversation": self.conversation,
            "message": self.message,
            "contact": self.contact,
        }


def _response_delay(rng: random.Random, agent: Agent, at: int, tz: str) -> int:
    minutes = math.exp(rng.gauss(math.log(agent.median_minutes), 0.6))
    delay = int(minutes * MINUTE) + randint(rng, 0, 59)
    hour = local_hour(at, tz)
    if (hour >= 20 or hour < 7) and rng.random() < 0.35:  # nobody on shift: next morning
        wait_hours = (31 - hour) % 24
        delay = max(delay, wait_hours * HOUR + randint(rng, 0, 90) * MINUTE)
    return delay


def plan_conversation(
    rng: random.Random,
    ids: ChatwootIds,
    shop: ShopDef,
    agents: list[Agent],
    inboxes: list[tuple[int, str, str]],
    contact: dict,
    topic: str,
    created: int,
    order: dict | None,
    product_title: str,
    vehicle: str,
) -> dict:
    """A conversation plan: messages, assignment, escalation and resolution."""
    ids.conversation += 1
    account = shop.chatwoot_account_id
    inbox = inboxes[below(rng, len(inboxes))][0]
    weights = [1.0 / a.median_minutes**0.3 for a in agents]
    agent = rng.choices(agents, weights)[0]
    sentiment, template = OPENERS[topic][below(rng, len(OPENERS[topic]))]
    order_name = order["name"] if order else "my order"
    text = template.format(order=order_name, product=product_title, vehicle=vehicle)
    messages: list[list] = []

    def add(at: int, kind: int, private: bool, sender_type: str, sender: int, content: str) -> None:
        ids.message += 1
        messages.append([ids.message, at, kind, private, sender_type, sender, content])

    add(created, 0, False, "Contact", contact["id"], text)
    at = created
    if rng.random() < 0.1:  # an internal note before anyone answers the customer
        at += randint(rng, 2, 30) * MINUTE
        add(at, 1, True, "User", agent.id, "Checking stock and order history before replying.")
    reply_at = max(at + MINUTE, created + _response_delay(rng, agent, created, shop.timezone))
    unanswered = rng.random() < 0.03
    escalation = None
    labels = [TOPIC_LABELS[topic]]
    priority = rng.choices((None, "low", "medium", "high"), (0.55, 0.2, 0.17, 0.08))[0]
    resolved = None
    if not unanswered:
        add(reply_at, 1, False, "User", agent.id, AGENT_REPLIES[below(rng, len(AGENT_REPLIES))])
        at = reply_at
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            mood, follow = CUSTOMER_FOLLOWUPS[below(rng, len(CUSTOMER_FOLLOWUPS))]
            at += randint(rng, 10 * MINUTE, DAY)
            add(at, 0, False, "Contact", contact["id"], follow)
            if mood in ("negative", "very_negative"):
                sentiment = mood if sentiment != "very_negative" else sentiment
            at += _response_delay(rng, agent, at, shop.timezone)
            add(at, 1, False, "User", agent.id, AGENT_FOLLOWUPS[below(rng, len(AGENT_FOLLOWUPS))])
        escalate = (sentiment == "very_negative" and rng.random() < 0.7) or rng.random() < 0.04
        if escalate:
            at += randint(rng, 5, 90) * MINUTE
            reason = ESCALATION_REASONS[below(rng, len(ESCALATION_REASONS))]
            add(at, 1, True, "User", agent.id, f"Escalating to a supervisor: {reason}.")
            escalation = [at, reason]
            priority = "urgent" if rng.random() < 0.5 else "high"
        if rng.random() < 0.6:
            at += randint(rng, 5 * MINUTE, 6 * HOUR)
            add(at, 0, False, "Contact", contact["id"], CLOSERS[below(rng, len(CLOSERS))])
        if rng.random() < 0.93:
            resolved = at + randint(rng, 10 * MINUTE, 2 * DAY)
    custom: dict = {}
    if order:
        custom["shopify_order_id"] = order["id"].rsplit("/", 1)[1]
        custom["order_name"] = order["name"]
    return {
        "id": ids.conversation,
        "account": account,
        "inbox": inbox,
        "created": created,
        "contact": contact,
        "assignee": None
        if unanswered and rng.random() < 0.5
        else [agent.id, agent.name, agent.email],
        "assign_at": created + randint(rng, 1, 20) * MINUTE,
        "priority": priority,
        "labels": labels,
        "custom": custom,
        "escalation": escalation,
        "messages": messages,
        "resolved": resolved,
        "snoozed": resolved is None and rng.random() < 0.3,
        "sentiment": sentiment,
    }


# CSAT: (rating weights for 1..5) by the conversation's final sentiment
CSAT_RATING_WEIGHTS = {
    "positive": (0, 0, 1, 3, 8),
    "neutral": (1, 1, 3, 6, 5),
    "negative": (3, 4, 4, 2, 1),
    "very_negative": (8, 4, 2, 1, 0),
}
CSAT_RESPONSE_RATE = 0.4
CSAT_FEEDBACK = {
    1: "Took far too long and the problem is still not fixed.",
    2: "Slow answers, had to chase several times.",
    3: "Got there in the end.",
    4: "Helpful, thanks.",
    5: "Fantastic support, fixed it fast!",
}
CSAT_MESSAGE_ID_OFFSET = 99_000_000  # the survey message's id: conversation id + this


def csat_plan(plan: dict) -> dict | None:
    """The customer's answer to the CSAT survey Chatwoot sends when the conversation is resolved
    in an inbox with the survey enabled, or None. Drawn from its own generator seeded with the
    conversation id, so the rest of the business (and every existing figure) is unchanged."""
    resolved = plan.get("resolved")
    inbox = _INBOX_CHANNELS.get(plan["inbox"])
    if resolved is None or inbox not in CSAT_CHANNELS or plan["assignee"] is None:
        return None
    rng = random.Random(f"csat:{plan['id']}")
    if rng.random() >= CSAT_RESPONSE_RATE:
        return None
    rating = rng.choices((1, 2, 3, 4, 5), CSAT_RATING_WEIGHTS[plan["sentiment"]])[0]
    return {
        "at": resolved + randint(rng, 2 * MINUTE, 2 * DAY),
        "rating": rating,
        "feedback": CSAT_FEEDBACK[rating] if rng.random() < 0.3 else None,
    }


def render_csat(plan: dict, as_of: int) -> tuple[int, dict] | None:
    """(created_at, payload) of a conversation's CSAT response as the CSAT responses list
    renders it, once it exists; ``contact`` is the contact at the time (the stand-in serves the
    current contact record), ``assigned_agent`` the conversation's assignee."""
    csat = csat_plan(plan)
    if csat is None or csat["at"] > as_of:
        return None
    contact, agent = plan["contact"], plan["assignee"]
    agent_def = _AGENT_DEFS[agent[0]]
    return csat["at"], {
        "id": plan["id"],
        "rating": csat["rating"],
        "feedback_message": csat["feedback"],
        "account_id": plan["account"],
        "message_id": plan["id"] + CSAT_MESSAGE_ID_OFFSET,
        "contact": {
            "id": contact["id"],
            "name": contact["name"],
            "email": contact["email"],
            "phone_number": contact["phone_number"],
            "identifier": contact["identifier"],
            "custom_attributes": dict(contact["custom_attributes"]),
        },
        "conversation_id": plan["id"],
        "assigned_agent": agent_payload(agent_def),
        "created_at": csat["at"],
    }


def conversation_events(plan: dict) -> list[int]:
    times = [plan["created"], plan["assign_at"]]
    times.extend(m[1] for m in plan["messages"])
    if plan["escalation"]:
        times.append(plan["escalation"][0])
    if plan["resolved"]:
        times.append(plan["resolved"])
    csat = csat_plan(plan)
    if csat is not None:
        times.append(csat["at"])
    return times


def conversation_due(plan: dict, as_of: int) -> int | None:
    future = [t for t in conversation_events(plan) if t > as_of]
    return min(future) if future else None


def render_conversation(plan: dict, as_of: int) -> tuple[int, dict, list[tuple[int, dict]]] | None:
    """(updated_at, conversation payload, [(updated_at, message payload)]) as of a moment, or
    None when the conversation does not exist yet."""
    created = plan["created"]
    if created > as_of:
        return None
    account, inbox, conv_id = plan["account"], plan["inbox"], plan["id"]
    messages = []
    last_activity = created
    first_reply = None
    waiting_since = None
    for msg_id, at, kind, private, sender_type, sender, content in plan["messages"]:
        if at > as_of:
            continue
        last_activity = max(last_activity, at)
        if kind == 1 and not private and sender_type == "User" and first_reply is None:
            first_reply = at
        if kind == 0 and waiting_since is None:
            waiting_since = at
        elif kind == 1 and not private:
            waiting_since = None
        messages.append(
            (
                at,
                {
                    "id": msg_id,
                    "conversation_id": conv_id,
                    "account_id": account,
                    "inbox_id": inbox,
                    "content": content,
                    "message_type": kind,
                    "private": private,
                    "created_at": at,
                    "updated_at": at,
                    "sender_type": sender_type,
                    "sender_id": sender,
                },
            )
        )
    updated = last_activity
    labels = list(plan["labels"])
    custom = dict(plan["custom"])
    priority = plan["priority"]
    escalation = plan["escalation"]
    if escalation and escalation[0] <= as_of:
        labels.append("escalated")
        custom["escalation_reason"] = escalation[1]
        updated = max(updated, escalation[0])
    elif escalation:
        priority = None
    assignee = None
    if plan["assignee"] and plan["assign_at"] <= as_of:
        assignee = {
            "id": plan["assignee"][0],
            "name": plan["assignee"][1],
            "email": plan["assignee"][2],
        }
        updated = max(updated, plan["assign_at"])
    resolved = plan["resolved"]
    if resolved is not None and resolved <= as_of:
        status = "resolved"
        updated = max(updated, resolved)
        waiting_since = None
    elif plan["snoozed"] and first_reply is not None:
        status = "snoozed"
    elif assignee is None and first_reply is None:
        status = "pending"
    else:
        status = "open"
    contact = plan["contact"]
    payload = {
        "id": conv_id,
        "account_id": account,
        "inbox_id": inbox,
        "status": status,
        "priority": priority,
        "labels": labels,
        "created_at": created,
        "updated_at": updated,
        "last_activity_at": last_activity,
        "timestamp": last_activity,
        "first_reply_created_at": first_reply,
        "waiting_since": waiting_since,
        "custom_attributes": custom,
        "additional_attributes": {},
        "meta": {
            "sender": {
                "id": contact["id"],
                "name": contact["name"],
                "email": contact["email"],
                "phone_number": contact["phone_number"],
            },
            "assignee": assignee,
        },
    }
    return updated, payload, messages


def contact_payload(contact: dict, last_activity: int) -> dict:
    return {
        "id": contact["id"],
        "name": contact["name"],
        "email": contact["email"],
        "phone_number": contact["phone_number"],
        "identifier": contact["identifier"],
        "created_at": contact["created_at"],
        "last_activity_at": last_activity,
        "custom_attributes": dict(contact["custom_attributes"]),
    }


def account_shop(account_id: int) -> ShopDef:
    for shop in SHOPS:
        if shop.chatwoot_account_id == account_id:
            return shop
    raise KeyError(account_id)
