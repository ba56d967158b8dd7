from flask import Blueprint, render_template, request
from flask_login import login_required

from fieldlab.audit import services
from fieldlab.auth.routes import require

bp = Blueprint("audit", __name__, url_prefix="/logboek")


@bp.get("/")
@login_required
def index():
    require("audit.view")
    action = request.args.get("actie") or None
    if action not in services.ACTION_LABELS:
        action = None
    page = services.events_page(action=action, page=request.args.get("pagina", 1, type=int))
    return render_template("audit/index.html", page=page, action=action, labels=services.ACTION_LABELS,
                           action_label=services.action_label)
