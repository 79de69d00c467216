"""The one clock and the agency's time zone: store UTC, decide, show and send in local time.

Every rule that speaks of a day (the cycle year, the daily attempt limit,
deadlines, reminders) asks this module for "today" in the agency's zone, and
every page, message and export turns a stored UTC moment into local time here.
An agency's zone is ``agency.settings["time_zone"]`` (an IANA name); without one
it is :data:`DEFAULT_ZONE`, Beijing time.
"""

from __future__ import annotations

import datetime as dt
from typing import overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.models import Agency

DEFAULT_ZONE_NAME = "Asia/Shanghai"
DEFAULT_ZONE = ZoneInfo(DEFAULT_ZONE_NAME)
UTC = dt.timezone.utc


def now_utc() -> dt.datetime:
    """The current moment, timezone-aware, in UTC (what is stored)."""
    return dt.datetime.now(UTC)


def zone_named(name: str | None) -> ZoneInfo:
    """The zone of an IANA ``name``; a missing or unknown name is Beijing time, never UTC by accident."""
    if not name:
        return DEFAULT_ZONE
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return DEFAULT_ZONE


def zone_of(agency) -> ZoneInfo:
    """The time zone an agency decides and speaks in (``agency.settings["time_zone"]``)."""
    settings = getattr(agency, "settings", None) or {}
    return zone_named(settings.get("time_zone"))


def aware(moment: dt.datetime) -> dt.datetime:
    """A stored moment as an aware UTC datetime (SQLite hands back naive datetimes, which are UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local_now(zone: dt.tzinfo = DEFAULT_ZONE, now: dt.datetime | None = None) -> dt.datetime:
    """``now`` (default: the current moment) in ``zone``."""
    return aware(now or now_utc()).astimezone(zone)


def local_today(zone: dt.tzinfo = DEFAULT_ZONE, now: dt.datetime | None = None) -> dt.date:
    """The calendar day it is in ``zone`` at ``now``: the day every rule counts with."""
    return local_now(zone, now).date()


@overload
def local_date_of(moment: dt.datetime, zone: dt.tzinfo = ...) -> dt.date: ...
@overload
def local_date_of(moment: None, zone: dt.tzinfo = ...) -> None: ...
@overload
def local_date_of(moment: dt.datetime | None, zone: dt.tzinfo = ...) -> dt.date | None: ...


def local_date_of(moment: dt.datetime | None, zone: dt.tzinfo = DEFAULT_ZONE) -> dt.date | None:
    """The local calendar day of a stored moment (None stays None)."""
    return None if moment is None else aware(moment).astimezone(zone).date()


def day_start(zone: dt.tzinfo, day: dt.date) -> dt.datetime:
    """Local midnight at the start of ``day``, as an aware UTC moment (for comparing with stored times)."""
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone).astimezone(UTC)


def next_day_start(zone: dt.tzinfo, now: dt.datetime | None = None) -> dt.datetime:
    """The next local midnight after ``now``, as an aware UTC moment (daily quotas reset then)."""
    return day_start(zone, local_today(zone, now) + dt.timedelta(days=1))


def agency_today(session, agency_id: int | None, now: dt.datetime | None = None) -> dt.date:
    """Today in the zone of the agency ``agency_id`` (Beijing time when there is none)."""
    agency = session.get(Agency, agency_id) if agency_id is not None else None
    return local_today(zone_of(agency), now)
