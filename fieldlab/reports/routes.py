"""Report pages and their downloads. A page and its PDF render the same template; only the layout
around it differs (`base.html` on screen, `reports/_pdf_layout.html` for WeasyPrint)."""

import re
from datetime import date

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from fieldlab.access import get_or_404_for, require
from fieldlab.audit import services as audit
from fieldlab.extensions import db
from fieldlab.labs.models import Lab
from fieldlab.reports import exports, hub_report, lab_report, pdf
from fieldlab.timeutil import local, utcnow
from fieldlab.web import int_arg

bp = Blueprint("reports", __name__)

FIRST_YEAR, LAST_YEAR = 2000, 2100
PAGE_LAYOUT = "base.html"
PDF_LAYOUT = "reports/_pdf_layout.html"


def _today() -> date:
    return local(utcnow()).date()


def _year_or_404(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        abort(404)
    return year


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:50] or "rapportage"


def _download(body, *, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _pdf_response(template: str, filename: str, obj, *, year: int | None = None, **context) -> Response:
    html = render_template(template, layout=PDF_LAYOUT, **context)
    body = pdf.render_pdf(html, base_url=request.url_root)
    audit.record("report_downloaded", actor=current_user, obj=obj, now=utcnow(), format="pdf", year=year)
    db.session.commit()
    return _download(body, mimetype="application/pdf", filename=filename)


@bp.get("/rapportages/")
@login_required
def index():
    require("reports.list")
    labs = db.session.scalars(select(Lab).order_by(Lab.programme_starts_on.desc().nulls_last(), Lab.name)).all()
    return render_template("reports/index.html", labs=labs, years=hub_report.report_years())


@bp.get("/labs/<int:lab_id>/rapportage")
@login_required
def lab(lab_id):
    report = lab_report.lab_report(get_or_404_for(Lab, lab_id, "lab_report.view"), reader=current_user, now=utcnow())
    return render_template("reports/lab.html", layout=PAGE_LAYOUT, report=report)


@bp.get("/labs/<int:lab_id>/rapportage.pdf")
@login_required
def lab_pdf(lab_id):
    lab = get_or_404_for(Lab, lab_id, "lab_report.view")
    report = lab_report.lab_report(lab, reader=current_user, now=utcnow())
    return _pdf_response("reports/lab.html", f"rapportage-{_slug(lab.name)}.pdf", lab, report=report)


@bp.get("/rapportages/hub")
@login_required
def hub():
    """The chosen year (`?jaar=`, a plain GET form) or the latest year with Labs."""
    require("reports.hub")
    year = int_arg("jaar")
    if year is not None:
        return redirect(url_for("reports.hub_year", year=_year_or_404(year)), code=303)
    return redirect(url_for("reports.hub_year", year=hub_report.default_year(_today())), code=303)


@bp.get("/rapportages/hub/<int:year>")
@login_required
def hub_year(year):
    require("reports.hub")
    report = hub_report.hub_report(_year_or_404(year), today=_today())
    return render_template("reports/hub.html", layout=PAGE_LAYOUT, report=report)


@bp.get("/rapportages/hub/<int:year>.pdf")
@login_required
def hub_pdf(year):
    require("reports.hub")
    report = hub_report.hub_report(_year_or_404(year), today=_today())
    return _pdf_response("reports/hub.html", f"jaarrapportage-field-lab-hub-{year}.pdf", None, year=year,
                         report=report)


@bp.get("/rapportages/hub/<int:year>.csv")
@login_required
def hub_csv(year):
    require("reports.hub")
    report = hub_report.hub_report(_year_or_404(year), today=_today())
    audit.record("report_downloaded", actor=current_user, now=utcnow(), format="csv", year=year)
    db.session.commit()
    return _download(exports.hub_csv(report), mimetype="text/csv",
                     filename=f"jaarrapportage-field-lab-hub-{year}.csv")


@bp.get("/rapportages/hub/<int:year>.xlsx")
@login_required
def hub_xlsx(year):
    require("reports.hub")
    report = hub_report.hub_report(_year_or_404(year), today=_today())
    audit.record("report_downloaded", actor=current_user, now=utcnow(), format="xlsx", year=year)
    db.session.commit()
    return _download(exports.hub_xlsx(report),
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     filename=f"jaarrapportage-field-lab-hub-{year}.xlsx")
