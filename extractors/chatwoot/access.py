"""Is the Chatwoot token an administrator's? An agent's token sees only its own inboxes.

Chatwoot filters what an agent may list (conversations of the inboxes the agent belongs to, or
assigned to the agent; only those inboxes), so an extraction with an agent's token would land a
short account without any error. The token's profile (``GET /api/v1/profile``) names its role
in every account it belongs to: anything but ``administrator`` for the configured account is
refused before any work, with a one-line error naming the fix.
"""

from __future__ import annotations

from typing import Any

from extractors.errors import ConfigError

FIX = (
    "use an administrator's access token (Chatwoot: Profile settings -> Access Token of an "
    "administrator of the account) in CHATWOOT_API_TOKEN"
)


def require_administrator(profile: dict[str, Any], account_id: str) -> None:
    """Raise ConfigError unless the profile is an administrator of ``account_id``."""
    accounts = profile.get("accounts") if isinstance(profile, dict) else None
    if not isinstance(accounts, list):
        raise ConfigError(
            "the Chatwoot profile of CHATWOOT_API_TOKEN lists no accounts: check that it is a "
            f"user access token (not a bot or platform token); {FIX}"
        )
    entry = next(
        (a for a in accounts if isinstance(a, dict) and str(a.get("id")) == str(account_id)),
        None,
    )
    if entry is None:
        raise ConfigError(
            f"the CHATWOOT_API_TOKEN user is not a member of Chatwoot account {account_id}: "
            f"check CHATWOOT_ACCOUNT_ID, or {FIX}"
        )
    role = str(entry.get("role") or "unknown")
    if role != "administrator":
        raise ConfigError(
            f"CHATWOOT_API_TOKEN is a(n) {role}'s token in Chatwoot account {account_id}: "
            "an agent sees only the conversations of its own inboxes, so counts and SLAs would "
            f"be short; {FIX}"
        )
