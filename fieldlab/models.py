"""Column helpers and enum base shared by the feature packages' models."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, TypeDecorator

from fieldlab.timeutil import as_utc


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every database (SQLite stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware UTC time")
        return as_utc(value)

    def process_result_value(self, value: datetime | None, dialect):
        return None if value is None else as_utc(value)


class LabelledEnum(enum.StrEnum):
    """A value stored as text, with the words the UI shows for it. Members are written
    `PLANNED = "planned", _l("Gepland")`; `label` translates when it is read, `lazy_label` when it
    is shown (for choices built at import time)."""

    lazy_label: Any  # set per member in __new__; an annotation alone makes no member

    def __new__(cls, value: str, lazy_label: Any = None):
        member = str.__new__(cls, value)
        member._value_ = value
        member.lazy_label = lazy_label
        return member

    @property
    def label(self) -> str:
        return str(self.lazy_label)
