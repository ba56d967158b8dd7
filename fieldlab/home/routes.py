from flask import Blueprint, abort, render_template
from flask_babel import get_locale
from flask_login import current_user, login_required
from markupsafe import Markup

from fieldlab import fragments
from fieldlab.auth.permissions import can
from fieldlab.home import services
from fieldlab.reads_only import reads_only
from fieldlab.timeutil import local, utcnow

bp = Blueprint("home", __name__)


@bp.get("/")
@reads_only
@login_required
def index():
    dashboard = services.dashboard_for(current_user, today=local(utcnow()).date())
    return render_template("home/index.html", dashboard=dashboard, team_progress_html=_team_progress_html)


def _team_progress_html(progress: services.TeamProgress) -> Markup:
    """A team's place in its challenge, kept under all it shows (`TeamProgress.fragment_key`):
    its members and managers see the same, and the next day, a confirmed return day or a new
    traffic light is another key."""
    return fragments.cached(progress.fragment_key(str(get_locale())), lambda: render_template(
        "home/_team_progress.html", progress=progress))


ADMIN_PAGES = (
    ("auth.users", "users.manage"),
    ("organisations.index", "organisations.add"),
    ("mail.outbox", "outbox.view"),
    ("audit.index", "audit.view"),
    ("privacy.index", "privacy.manage"),
)


@bp.get("/beheer")
@login_required
def admin():
    """The Hub's administration in one place, so the main menu stays short."""
    pages = [endpoint for endpoint, action in ADMIN_PAGES if can(current_user, action)]
    if not pages:
        abort(403)
    return render_template("home/admin.html", pages=pages)
