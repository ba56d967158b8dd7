"""Reports: the Lab report and the Hub's annual report, as a page (with a print stylesheet), as a
PDF rendered from the same HTML, and the Hub figures as CSV and XLSX. Reports only read."""

from flask_babel import lazy_gettext as _l

AUDIT_LABELS = {
    "report_downloaded": _l("rapportage gedownload"),
}


def init_app(app) -> None:
    from fieldlab.audit.services import ACTION_LABELS
    from fieldlab.reports import routes

    ACTION_LABELS.update(AUDIT_LABELS)
    app.register_blueprint(routes.bp)
