from flask import Blueprint, render_template, request
from flask_login import login_required

from fieldlab.access import require
from fieldlab.audit import services
from fieldlab.auth.models import User
from fieldlab.extensions import db
from fieldlab.paging import requested_page
from fieldlab.web import int_arg

bp = Blueprint("audit", __name__, url_prefix="/logboek")


def _parse_date(value):
    from datetime import date

    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.get("/")
@login_required
def index():
    require("audit.view")
    action = request.args.get("actie") or None
    audit_filter = services.AuditFilter(
        action=action if action in services.ACTION_LABELS else None,
        person_id=int_arg("persoon"),
        person_text=(request.args.get("wie") or "").strip()[:100] or None,
        date_from=_parse_date(request.args.get("van")),
        date_to=_parse_date(request.args.get("tot")),
    )
    page = services.events_page(audit_filter, page=requested_page())
    # A person is found by typing part of their name (a list of every account would not scale);
    # `persoon=<id>` still filters on one person, as links from elsewhere do.
    person = db.session.get(User, audit_filter.person_id) if audit_filter.person_id else None
    return render_template("audit/index.html", page=page, audit_filter=audit_filter, person=person,
                           labels=services.ACTION_LABELS, action_label=services.action_label)
