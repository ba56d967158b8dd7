"""The one route preamble: load the object, check `can`, answer 404 or 403.

Who may do what is decided in `auth/permissions.py`; this module only turns its answer into the
status a route gives, the same way everywhere:

- an object the user may not even see is a 404 (its existence must not leak), like a missing one;
- an object the user sees but may not do `action` on is a 403;
- a page the user's roles do not open (no object) is a 403 (`require`).

The security tests walk the URL map and forge POSTs against these status codes.
"""

from flask import abort
from flask_login import current_user

from fieldlab.auth.permissions import can
from fieldlab.extensions import db


def require(action: str, obj=None) -> None:
    """403 unless the current user may do `action` (on `obj`)."""
    if not can(current_user, action, obj):
        abort(403)


def visible_or_404(obj, see: str, action: str | None = None, *, subject=None):
    """`obj` when the current user may `see` it, else 404 (also when `obj` is None); 403 when they
    see it but may not do `action`. `subject` is what the rules are asked about when that is not
    `obj` itself (a board's precomputed team relation)."""
    subject = obj if subject is None else subject
    if obj is None or not can(current_user, see, subject):
        abort(404)
    if action is not None and action != see and not can(current_user, action, subject):
        abort(403)
    return obj


def get_or_404_for(model, object_id: int, see: str, action: str | None = None):
    """The `model` row with `object_id` through `visible_or_404`."""
    return visible_or_404(db.session.get(model, object_id), see, action)


def child_or_404(child, parent_id: int, parent_key: str):
    """`child` when it exists and belongs to the parent (`child.<parent_key> == parent_id`), else
    404: an id of another object's child in the URL is as good as a missing one."""
    if child is None or getattr(child, parent_key) != parent_id:
        abort(404)
    return child
