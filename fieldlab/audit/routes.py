from flask import Blueprint, render_template, request
from flask_login import login_required
from sqlalchemy import select

from fieldlab.audit import services
from fieldlab.auth.models import User
from fieldlab.auth.routes import require
from fieldlab.extensions import db
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
        date_from=_parse_date(request.args.get("van")),
        date_to=_parse_date(request.args.get("tot")),
    )
    page = services.events_page(audit_filter, page=int_arg("pagina", 1))
    people = db.session.execute(select(User.id, User.name).order_by(User.name)).all()
    return render_template("audit/index.html", page=page, audit_filter=audit_filter, people=people,
                           labels=services.ACTION_LABELS, action_label=services.action_label)
