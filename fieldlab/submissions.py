"""One form render, one stored result: the token behind "nothing typed is lost".

Every form that creates something people type (a speedlab idea, a board card, a progress update)
carries a hidden `submission` token made when the form is rendered. The service that stores the
thing first claims the token in `form_submission` (primary key, `INSERT … ON CONFLICT DO
NOTHING`): a double click, a second Enter or a retried request with the same token finds it
claimed and gets the result of the first submit instead of a second copy or a refusal. Two
different renders (two ideas typed one after the other) have two tokens and are both stored.

The claim is written in the same transaction as the thing itself, so a refused or failed submit
leaves the token unclaimed and the person can simply send the form again. On PostgreSQL a second
claim of the same token waits for the first transaction and then sees the row; on SQLite the
database's single writer orders them the same way.
"""

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import String, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from fieldlab.extensions import db
from fieldlab.models import UTCDateTime

TOKEN_LENGTH = 43  # secrets.token_urlsafe(32)

Stored = TypeVar("Stored")


def new_token() -> str:
    return secrets.token_urlsafe(32)


class FormSubmission(db.Model):
    """A claimed form token: which kind of thing it stored, and that thing's id."""

    __tablename__ = "form_submission"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    result_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    def __repr__(self) -> str:
        return f"<FormSubmission {self.kind} {self.result_id}>"


def usable(token: str | None) -> bool:
    """A token this app could have made; anything else (empty, forged junk) is ignored, and the
    submit is then stored like any other."""
    return bool(token) and 16 <= len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)


def claim(token: str | None, kind: str, *, now: datetime) -> FormSubmission | None:
    """Claim `token` for a new `kind`. Returns None when the caller should store the thing (the
    token is new, or there is none), or the earlier claim when this form was already stored."""
    if not usable(token):
        return None
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(FormSubmission)
    inserted = db.session.execute(
        insert.values(token=token, kind=kind, created_at=now).on_conflict_do_nothing(index_elements=["token"])
    ).rowcount
    if inserted == 1:
        return None
    earlier = db.session.scalar(select(FormSubmission).where(FormSubmission.token == token))
    if earlier is None or earlier.kind != kind:
        # The same token for another kind of form: not a repeat of this one.
        return None
    return earlier


def earlier_result(token: str | None, kind: str, model: type[Stored], *, now: datetime,
                   belongs: Callable[[Stored], bool]) -> Stored | None:
    """Claim `token` for a new `kind` and return what the first submit of this form render stored
    (a `model` row), or None when the caller should store the thing. A row that no longer exists,
    or that `belongs` rejects (the token came back with another board's or session's form), is no
    repeat: the caller stores a new one, as for a fresh token."""
    earlier = claim(token, kind, now=now)
    if earlier is None or not earlier.result_id:
        return None
    stored = db.session.get(model, earlier.result_id)
    if stored is None or not belongs(stored):
        return None
    return stored


def record_result(token: str | None, kind: str, result_id: int) -> None:
    """Remember what the claimed token stored, for the repeat to point at."""
    if not usable(token):
        return
    db.session.execute(
        FormSubmission.__table__.update().where(FormSubmission.token == token, FormSubmission.kind == kind)
        .values(result_id=result_id)
    )


def purge_before(moment: datetime) -> int:
    """Old tokens protect nothing any more (nobody double-clicks a day later)."""
    return db.session.execute(FormSubmission.__table__.delete().where(FormSubmission.created_at < moment)).rowcount
