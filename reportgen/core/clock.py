"""Build time and the one timestamp format of a pack: parsing, formatting, dates.

The build time is ``SOURCE_DATE_EPOCH`` when set (reproducible builds), else now. Every
timestamp a pack carries (``generated_at``, ``pulled_at``) is UTC to the second, written
``2025-12-01T00:00:00Z``; everything that reads one back goes through :func:`parse_iso`.
"""

from __future__ import annotations

import datetime as dt
import os

from reportgen.core.errors import InputError

STAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def build_time(environ: dict[str, str] | None = None) -> dt.datetime:
    env = os.environ if environ is None else environ
    value = env.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        return dt.datetime.fromtimestamp(int(value), dt.UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise InputError(
            f"SOURCE_DATE_EPOCH must be whole seconds since 1970-01-01, got '{value[:40]}'"
        ) from exc


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime(STAMP_FORMAT)


def parse_iso(stamp: str) -> dt.datetime:
    """A pack's timestamp (``iso``'s format) as an aware UTC datetime."""
    return dt.datetime.strptime(stamp, STAMP_FORMAT).replace(tzinfo=dt.UTC)


def day_of(stamp: str) -> dt.date:
    """The date of a pack's timestamp, or of a plain ``YYYY-MM-DD``: applicability and
    document control follow the build's (UTC) day."""
    return dt.date.fromisoformat(stamp[:10])


def long_date(stamp: str | None) -> str:
    """'1 December 2025' for a timestamp or a date, '' for none: how documents print dates."""
    if not stamp:
        return ""
    day = day_of(stamp)
    return f"{day.day} {day:%B %Y}"
