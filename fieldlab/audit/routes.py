from datetime import date
from itertools import chain

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import get_locale
from flask_login import current_user, login_required

from fieldlab.access import require
from fieldlab.audit import services
from fieldlab.auth.models import User
from fieldlab.extensions import db
from fieldlab.paging import requested_page
from fieldlab.timeutil import local, utcnow
from fieldlab.web import int_arg

bp = Blueprint("audit", __name__, url_prefix="/logboek")


def _parse_date(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _audit_filter() -> services.AuditFilter:
    action = request.args.get("actie") or None
    return services.AuditFilter(
        action=action if action in services.ACTION_LABELS else None,
        person_id=int_arg("persoon"),
        person_text=(request.args.get("wie") or "").strip()[:100] or None,
        date_from=_parse_date(request.args.get("van")),
        date_to=_parse_date(request.args.get("tot")),
    )


@bp.get("/")
@login_required
def index():
    require("audit.view")
    audit_filter = _audit_filter()
    page = services.events_page(audit_filter, page=requested_page())
    # A person is found by typing part of their name (a list of every account would not scale);
    # `persoon=<id>` still filters on one person, as links from elsewhere do.
    person = db.session.get(User, audit_filter.person_id) if audit_filter.person_id else None
    return render_template("audit/index.html", page=page, audit_filter=audit_filter, person=person,
                           rows=services.describe_events(page.items),
                           labels=services.ACTION_LABELS, action_label=services.action_label)


@bp.get("/export.csv")
@login_required
def export():
    """The filtered log for an auditor, streamed; the export itself is logged (and committed)
    before the first row goes out, with the filter it used."""
    require("audit.view")
    audit_filter = _audit_filter()
    services.record("audit_exported", actor=current_user, now=utcnow(), filter_action=audit_filter.action,
                    person=audit_filter.person_id, text=bool(audit_filter.person_text) or None,
                    date_from=audit_filter.date_from.isoformat() if audit_filter.date_from else None,
                    date_to=audit_filter.date_to.isoformat() if audit_filter.date_to else None)
    db.session.commit()
    name = "audit-log" if str(get_locale()) == "en" else "logboek"
    # A byte order mark, so a spreadsheet opens the file as UTF-8 (ë, é in names).
    body = stream_with_context(chain(["\ufeff"], services.export_csv(audit_filter)))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="fieldlab-{name}-{local(utcnow()):%Y-%m-%d}.csv"'})
