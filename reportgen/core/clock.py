"""Build time and the one timestamp format of a pack: parsing, formatting, dates.

The build time is ``SOURCE_DATE_EPOCH`` when set (reproducible builds), else now. Every
timestamp a pack carries (``generated_at``, ``pulled_at``) is UTC to the second, written
``2025-12-01T00:00:00Z``; everything that reads one back goes through :func:`parse_iso`.
"""

from __future__ import annotations

import datetime as dt
import os

from reportgen.core.errors import InputError
from reportgen.core.terminal import visible

STAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# The first and last moments a zip entry can carry (MS-DOS dates, two-second steps).
ZIP_FIRST = dt.datetime(1980, 1, 1, tzinfo=dt.UTC)
ZIP_LAST = dt.datetime(2107, 12, 31, 23, 59, 59, tzinfo=dt.UTC)


def build_time(environ: dict[str, str] | None = None) -> dt.datetime:
    env = os.environ if environ is None else environ
    value = env.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    first, last = (int(moment.timestamp()) for moment in (ZIP_FIRST, ZIP_LAST))
    # int() also takes '+5', '1_000' and other scripts' digits ('١٢٣'): not the convention
    # Twelve digits hold every moment allowed; Python refuses to convert past 4,300 digits.
    digits = value.lstrip("0") or "0"
    seconds = int(digits) if value.isascii() and value.isdigit() and len(digits) <= 12 else None
    if seconds is None or not first <= seconds <= last:
        # The workbook and a bundle are zip files, whose entries carry a date from 1980 to
        # 2107: a build time past 2107 failed inside a renderer (eleventh adversarial pass).
        raise InputError(
            f"SOURCE_DATE_EPOCH must be whole seconds since 1970-01-01 from {first} "
            f"({ZIP_FIRST:%Y-%m-%d}) to {last} ({ZIP_LAST:%Y-%m-%d}), the dates a zip file "
            f"(the workbook, a bundle) can hold; got '{visible(value[:40])}'"
        )
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def zip_time(moment: dt.datetime) -> tuple[int, int, int, int, int, int]:
    """A zip entry's date and time for ``moment`` (UTC wall-clock time), held to the years
    a zip can carry: a pack's date in 2108 or later (it may say any) is written as 2107's
    last moment, not a crash (eleventh adversarial pass)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    moment = min(max(moment, ZIP_FIRST), ZIP_LAST)
    stamp = moment.astimezone(dt.UTC)
    return (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)


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
