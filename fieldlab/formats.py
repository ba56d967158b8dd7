"""How dates and times read in each language, and how they are written into HTML.

Templates and services name a length (`datetimeformat('short')`, `format_date(day, "long")`);
this module decides what that length looks like. Dutch keeps the CLDR patterns of `nl`, except
the full date-time, which CLDR spells with seconds and the time zone's name. English would get
CLDR's `en`, which is American ("12/1/26, 11:00 AM"): Fieldlab's English readers are European, so
English uses day-month-year with the month in words and a 24-hour clock ("4 December 2026,
13:00"), never a numeric date that reads differently on either side of the Atlantic. A moment (date
and time) reads the same way in Dutch ("4 dec 2026, 13:00"), without seconds or a zone's name.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache

from babel.dates import DateTimePattern, get_date_format, get_datetime_format, get_time_format, parse_pattern
from babel.lists import format_list
from flask_babel import format_date, format_datetime, format_time, get_locale, get_timezone, to_user_timezone

# None: the locale's own CLDR pattern.
PATTERNS = {
    "nl": {
        # A moment reads like the dates beside it ("6 dec 2026, 17:05"): CLDR's own Dutch writes a
        # short one in numbers (06-12-2026), a medium one with seconds and a long one with "CET".
        "datetime.short": "d MMM y, HH:mm",
        "datetime.medium": "d MMM y, HH:mm",
        "datetime.long": "d MMMM y, HH:mm",
        "datetime.full": "EEEE d MMMM y, HH:mm",
    },
    "en": {
        "date.short": "d MMM y",
        "date.medium": "d MMM y",
        "date.long": "d MMMM y",
        "date.full": "EEEE d MMMM y",
        "time.short": "HH:mm",
        "time.medium": "HH:mm",
        "time.long": "HH:mm",
        "time.full": "HH:mm",
        "datetime.short": "d MMM y, HH:mm",
        "datetime.medium": "d MMM y, HH:mm",
        "datetime.long": "d MMMM y, HH:mm",
        "datetime.full": "EEEE d MMMM y, HH:mm",
    },
}


class LocaleDateFormats(dict):
    """Flask-Babel's `date_formats` table, answered for the language of the request: Flask-Babel
    looks up `date_formats["datetime.short"]` on every call and uses the locale's CLDR pattern when
    the answer is None."""

    def __getitem__(self, key):
        language = getattr(get_locale(), "language", "nl")
        pattern = PATTERNS.get(language, {}).get(key)
        return pattern if pattern is not None else super().__getitem__(key)


def install(babel) -> None:
    """Give the app's Babel the per-language table (call after `babel.init_app`)."""
    babel.date_formats = LocaleDateFormats(babel.date_formats or babel.default_date_formats)


def pattern_for(kind: str, length: str, locale=None) -> str | None:
    """Our pattern for `kind` ('date', 'time', 'datetime') at `length` in `locale`'s language (the
    current one when not given), or None when the locale's own is used (for code that formats many
    values with one parsed pattern)."""
    return PATTERNS.get(getattr(locale or get_locale(), "language", "nl"), {}).get(f"{kind}.{length}")


def machine_datetime(moment: datetime) -> str:
    """A `<time datetime>` value: UTC to the second. HTML allows at most three digits of fraction;
    Python's isoformat() writes six."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def moment_formatter(length: str = "short"):
    """`flask_babel.format_datetime(moment, length)` for many moments in a row (the rows of a
    list, the events of a board's activity feed): the language's patterns and the time zone are
    looked up once, not for every row (each `datetimeformat` filter call looked up both, about as
    long as rendering the rest of the row; in the feed a third of its time)."""
    locale, zone = get_locale(), get_timezone()
    normalize = getattr(zone, "normalize", None)  # pytz zones only

    def local(moment: datetime) -> datetime:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(zone)
        return normalize(moment) if normalize is not None else moment

    ours = pattern_for("datetime", length)
    if ours is not None:
        pattern = parse_pattern(ours)
        return lambda moment: pattern.apply(local(moment), locale)
    layout = get_datetime_format(length, locale=locale).replace("'", "")
    date_pattern = parse_pattern(get_date_format(length, locale=locale))
    time_pattern = parse_pattern(get_time_format(length, locale=locale))

    def format_moment(moment: datetime) -> str:
        at = local(moment)
        return layout.replace("{0}", time_pattern.apply(at, locale)).replace("{1}", date_pattern.apply(at, locale))

    return format_moment


# A downloaded document's language (Word, Excel) by the reader's: the tag spelling checks and
# speech go by; English is British, as the dates are European.
DOCUMENT_LANGUAGES = {"nl": "nl-NL", "en": "en-GB"}


def document_language() -> str:
    return DOCUMENT_LANGUAGES.get(getattr(get_locale(), "language", "nl"), "nl-NL")


def spoken_list(items) -> str:
    """Items as a sentence lists them in the reader's language: "1 en 50", "1, 50 en 100" ("1 and
    50" in English), never "1, 50". Accepts the "1, 50" that board events store as their detail."""
    if isinstance(items, str):
        items = [item.strip() for item in items.split(",") if item.strip()]
    items = [str(item) for item in items]
    return format_list(items, locale=get_locale() or "nl") if items else ""


def time_span(starts_at: datetime, ends_at: datetime) -> str:
    """When a meeting is, as the moments beside it read: "6 dec 2026, 21:30 – 23:30", or with the
    end's date as well when it ends on another day; in the reader's language and time zone."""
    start = format_datetime(starts_at, "short")
    if to_user_timezone(starts_at).date() == to_user_timezone(ends_at).date():
        return f"{start} – {format_time(ends_at, 'short')}"
    return f"{start} – {format_datetime(ends_at, 'short')}"


@dataclass(frozen=True)
class TimeSpan:
    """A meeting's time to be written later (`time_span`), in the language of whoever reads it:
    a change is worked out once and then mailed to each invitee in their own language."""

    starts_at: datetime
    ends_at: datetime

    def __str__(self) -> str:
        return time_span(self.starts_at, self.ends_at)


NAMED_LENGTHS = ("short", "medium", "long", "full")


def format_day(day, format: str | None = None) -> str:  # noqa: A002 (Flask-Babel's name)
    """`flask_babel.format_date` (the templates' `dateformat`) for a date, with the pattern looked
    up and parsed once per language and format: Flask-Babel finds the locale, the app's format
    table and the locale's CLDR pattern on every call, which took as long as a board's header.
    A moment (datetime) goes to Flask-Babel, which first moves it to the reader's time zone."""
    if not isinstance(day, date) or isinstance(day, datetime):
        return format_date(day, format)
    locale = get_locale()
    return _day_pattern(locale, format).apply(day, locale)


@lru_cache(maxsize=64)
def _day_pattern(locale, format: str | None) -> DateTimePattern:
    """What Flask-Babel and Babel do before they format: the app's pattern for a named length in
    this language (`PATTERNS`), else the locale's own; a pattern string as it is."""
    format = format or "medium"
    if format in NAMED_LENGTHS:
        ours = pattern_for("date", format, locale)
        format = ours if ours is not None else get_date_format(format, locale=locale)
    return parse_pattern(format)
