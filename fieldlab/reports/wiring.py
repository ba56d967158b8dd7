"""How the reports feature is wired into the app: called once by `create_app`.

Kept out of the package's `__init__` so that importing a model or a service of this feature stays
light and cycle-free; only the app factory imports this module, after every package exists.
"""

from flask_babel import lazy_gettext as _l

from fieldlab.audit.services import ACTION_LABELS
from fieldlab.reports import routes

AUDIT_LABELS = {
    "report_downloaded": _l("rapportage gedownload"),
}


def init_app(app) -> None:
    ACTION_LABELS.update(AUDIT_LABELS)
    app.register_blueprint(routes.bp)
