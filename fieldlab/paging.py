"""Paging for every list in the app: one helper, so eleven lists page the same way.

A list page shows `PAGE_SIZE` rows (50 by default) and links to the other pages with the filters
kept in the query string (`macros/pagination.html`). The page number comes from `?pagina=`; a
number past the last page shows the last page and nonsense shows the first, never an error.

Why not Flask-SQLAlchemy's `db.paginate`: it answers an empty page past the end (a stale link
after rows were deleted would look like "no rows at all"), it reads the request itself, and lists
that are built in Python (a few hundred rows already loaded in a known number of queries) need the
same page object. Counting first and clamping gives the same two statements and a page that
always shows something when there is something.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from math import ceil
from typing import Any
from weakref import WeakKeyDictionary

from flask import current_app, request
from sqlalchemy import Select, bindparam, func, select

from fieldlab.extensions import db

PAGE_ARGUMENT = "pagina"
# A page number beyond this is nonsense (and beyond 2**63 it would reach the database driver).
MAX_PAGE = 2**31 - 1


@dataclass
class Page:
    """One page of a list: what the template loops over and what the pager macro shows."""

    items: Sequence[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    @property
    def first(self) -> int:
        """1-based position of the first row on this page (0 when the list is empty)."""
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.page * self.per_page, self.total)

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)


def page_size() -> int:
    return current_app.config["PAGE_SIZE"]


def requested_page(argument: str = PAGE_ARGUMENT) -> int:
    """The page number asked for in the query string; 1 when missing or not a positive number."""
    value = request.args.get(argument, type=int)
    if value is None or not 1 <= value <= MAX_PAGE:
        return 1
    return value


def _clamp(page: int, total: int, per_page: int) -> int:
    return min(max(page, 1), max(1, ceil(total / per_page)))


def paginate(query: Select, *, page: int, per_page: int | None = None, rows: bool = False,
             parameters: dict | None = None) -> Page:
    """One page of a SELECT in two statements (the count and the rows), whatever the table's size.

    `query` must have a stable ORDER BY (end it with the primary key) so pages never overlap.
    With `rows=True` the items are result rows (for a SELECT of columns) instead of objects.
    Eager loads of collections must be `selectinload` (one more statement per collection), not
    `joinedload`, which would multiply the rows the LIMIT counts. `parameters` are the values of
    the query's bind parameters (for a statement built once, with the viewer as a parameter)."""
    per_page = per_page or page_size()
    counted, limited, columns_only = _count_and_rows(query)
    # The count is a number, and rows of columns alone are plain rows: both on the session's
    # connection, without the ORM's work per execution (a third of the vraagstukken list's
    # statements' time), after the flush the session would have done first. Rows with an entity
    # in them (a Lab with its counts) need the ORM to make the object.
    if db.session.autoflush:
        db.session.flush()
    connection = db.session.connection()
    total = connection.execute(counted, parameters).scalar() or 0
    page = _clamp(page, total, per_page)
    parameters = {**(parameters or {}), "page_limit": per_page, "page_offset": (page - 1) * per_page}
    if not rows:
        items = db.session.scalars(limited, parameters).all()
    elif columns_only:
        items = connection.execute(limited, parameters).all()
    else:
        items = db.session.execute(limited, parameters).all()
    return Page(items=items, page=page, per_page=per_page, total=total)


_PAGED: WeakKeyDictionary[Select, tuple[Select, Select, bool]] = WeakKeyDictionary()


def _count_and_rows(query: Select) -> tuple[Select, Select, bool]:
    """The count and the page of `query`, built once per statement object, with the page's limit
    and offset as bind parameters. SQLAlchemy works out a statement's cache key once per object:
    building and keying these two anew took 0.2 of the vraagstukken list's 2.6 ms. A statement
    built once (the list's, per kind of viewer and order) now pays that once; one built per
    request (with filters) is forgotten with it. The third value: whether it selects columns only."""
    paged = _PAGED.get(query)
    if paged is None:
        paged = _PAGED[query] = (
            select(func.count()).select_from(query.order_by(None).subquery()),
            query.limit(bindparam("page_limit")).offset(bindparam("page_offset")),
            # No whole entity among what it selects (a column of one is a column).
            not any(part["entity"] is not None and part["expr"] is part["entity"]
                    for part in query.column_descriptions),
        )
    return paged


def paginate_sequence(items: Sequence[Any], *, page: int, per_page: int | None = None) -> Page:
    """A page of a list already built in Python (for lists whose rows need work per row that SQL
    cannot do, loaded in a fixed number of statements)."""
    per_page = per_page or page_size()
    total = len(items)
    page = _clamp(page, total, per_page)
    start = (page - 1) * per_page
    return Page(items=list(items[start:start + per_page]), page=page, per_page=per_page, total=total)
