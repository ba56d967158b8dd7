from flask import Blueprint, render_template
from flask_login import current_user, login_required

from fieldlab.home import services
from fieldlab.timeutil import local, utcnow

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    dashboard = services.dashboard_for(current_user, today=local(utcnow()).date())
    return render_template("home/index.html", dashboard=dashboard)
