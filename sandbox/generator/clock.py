"""Time helpers: epoch seconds <-> ISO strings, local days, and the business's demand curve."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

DAY = 86_400
HISTORY_DAYS = 400  # a little over 13 months of orders ending at `now`

# Local hour-of-day shape of online orders (sums to 1 after normalisation).
HOUR_WEIGHTS = (
    0.6,
    0.4,
    0.3,
    0.2,
    0.2,
    0.3,
    0.7,
    1.2,
    1.8,
    2.4,
    2.9,
    3.1,
    3.2,
    3.0,
    2.8,
    2.7,
    2.6,
    2.7,
    3.0,
    3.4,
    3.6,
    3.1,
    2.0,
    1.1,
)
# Monday..Sunday: weekends are project days in the garage.
WEEKDAY_WEIGHTS = (1.00, 0.97, 0.95, 0.98, 1.05, 1.22, 1.15)
# Racing season (March to September) peaks; winter is slow except for restoration projects.
MONTH_WEIGHTS = (0.70, 0.78, 1.05, 1.20, 1.30, 1.35, 1.30, 1.25, 1.12, 0.90, 0.80, 0.92)
GROWTH_PER_YEAR = 2.6  # order volume multiplies by this over a year (toward the $10MM scale)


_DAYS: dict[int, str] = {}
_EPOCH_DATE = date(1970, 1, 1)


_TIMES = [f"T{h:02d}:{m:02d}:{s:02d}Z" for h in range(24) for m in range(60) for s in range(60)]


def iso(epoch: int) -> str:
    """Shopify's timestamp format: ISO-8601 UTC with a Z, second precision."""
    day, second = divmod(epoch, DAY)
    text = _DAYS.get(day)
    if text is None:
        text = _DAYS[day] = (_EPOCH_DATE + timedelta(days=day)).isoformat()
    return text + _TIMES[second]


def iso_or_none(epoch: int | None) -> str | None:
    return None if epoch is None else iso(epoch)


def to_epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("sandbox times must be timezone-aware (UTC)")
    return int(moment.timestamp())


def from_epoch(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def floor_hour(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return moment.replace(minute=0, second=0, microsecond=0)


def parse_now(text: str | None) -> datetime | None:
    """Parse ``--now`` (ISO-8601; a naive value is taken as UTC)."""
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@lru_cache(maxsize=8)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_date(epoch: int, tz: str) -> date:
    return datetime.fromtimestamp(epoch, zone(tz)).date()


def local_midnight(day: date, tz: str) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=zone(tz)).timestamp())


def local_hour(epoch: int, tz: str) -> int:
    return datetime.fromtimestamp(epoch, zone(tz)).hour


def day_weight(day: date, start: date) -> float:
    """Relative order volume of a local day: growth trend x season x weekday."""
    years = (day - start).days / 365.0
    growth = math.exp(math.log(GROWTH_PER_YEAR) * years)
    return growth * MONTH_WEIGHTS[day.month - 1] * WEEKDAY_WEIGHTS[day.weekday()]


def history_start(now_epoch: int, tz: str) -> date:
    return local_date(now_epoch, tz) - timedelta(days=HISTORY_DAYS)
