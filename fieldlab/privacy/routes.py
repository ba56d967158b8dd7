"""Privacy pages: the retention page (who goes when, postponements), inzage as page, PDF and JSON
(for a person by a facilitator, and for oneself), and erasure."""

import json
from datetime import date

from flask import Blueprint, Response, abort, flash, render_template, request
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from fieldlab.access import require
from fieldlab.auth import services as accounts
from fieldlab.auth.models import User
from fieldlab.extensions import db
from fieldlab.forms import EmptyForm
from fieldlab.paging import requested_page
from fieldlab.privacy import erasure, inzage, services
from fieldlab.privacy.forms import PostponeForm
from fieldlab.reports import pdf
from fieldlab.timeutil import local, utcnow
from fieldlab.web import int_arg, redirect_after_post

bp = Blueprint("privacy", __name__, url_prefix="/privacy")

PDF_LAYOUT = "reports/_pdf_layout.html"


def _today() -> date:
    return local(utcnow()).date()


def _search_text(param: str) -> str:
    """What was typed into one of the page's two people searches (`wie`, `zoek`)."""
    return (request.args.get(param) or "").strip()[:100]


@bp.get("/")
@login_required
def index():
    require("privacy.manage")
    search, who = _search_text("zoek"), _search_text("wie")
    return render_template("privacy/index.html", plans=services.purge_plans_page(page=requested_page()),
                           today=_today(), search=search, who=who,
                           retention=services.retention_people_page(who, page=requested_page("wie_pagina")),
                           # Accounts are listed only when searched for: a request names one person.
                           people=services.people_page(search, page=requested_page("personen")) if search else None,
                           retention_months=services.retention_months())


def _person_or_404() -> User:
    person = db.session.get(User, int_arg("persoon", 0))
    if person is None:
        abort(404)
    return person


def _person_page(person: User, *, form: PostponeForm | None = None, status: int = 200):
    retention = services.person_retention(person)
    if form is None:
        form = PostponeForm()
        if retention and retention.postponement:
            form.until.data, form.reason.data = retention.postponement.until, retention.postponement.reason
    return render_template("privacy/person.html", person=person, erase_form=EmptyForm(), form=form,
                           end_form=EmptyForm(), retention=retention, today=_today(),
                           anonymised=erasure.is_anonymised(person)), status


@bp.get("/persoon")
@login_required
def person():
    require("privacy.manage")
    return _person_page(_person_or_404())


@bp.post("/persoon/uitstellen")
@login_required
def postpone():
    require("privacy.manage")
    person = _person_or_404()
    form = PostponeForm()
    if form.validate_on_submit():
        try:
            services.postpone(person, until=form.until.data, reason=form.reason.data, by=current_user)
        except services.PostponementRefused as refusal:
            getattr(form, refusal.field).errors.append(str(refusal))
        else:
            db.session.commit()
            flash(_("De opschoning van %(name)s is uitgesteld tot %(date)s.", name=person.name,
                    date=format_date(form.until.data, "long")), "success")
            return redirect_after_post("privacy.person", persoon=person.id)
    return _person_page(person, form=form, status=422)


@bp.post("/persoon/uitstel-intrekken")
@login_required
def end_postponement():
    require("privacy.manage")
    person = _person_or_404()
    if EmptyForm().validate_on_submit() and services.end_postponement(person, by=current_user):
        db.session.commit()
        flash(_("Het uitstel is ingetrokken: de gewone bewaartermijn geldt weer."), "success")
    return redirect_after_post("privacy.person", persoon=person.id)


# --- Inzage ---------------------------------------------------------------------------------------

def _document_html(person: User, *, layout: str | None) -> str:
    """The inzage in the person's own language (Dutch, or English when that is theirs)."""
    retention = services.person_retention(person)
    with force_locale(person.locale if person.locale in ("nl", "en") else "nl"):
        document = inzage.document(person, anonymised_on=retention.anonymised_on if retention else None,
                                   months=services.retention_months())
        if layout:
            return render_template("privacy/inzage_pdf.html", layout=layout, document=document,
                                   lang=person.locale)
        return render_template("privacy/_inzage.html", document=document, lang=person.locale)


def _inzage_page(person: User, *, own: bool):
    body = Markup(_document_html(person, layout=None))  # noqa: S704 - rendered by our own template, escaped there
    inzage.record_export(person, by=current_user, fmt="page")
    db.session.commit()
    return render_template("privacy/inzage.html", person=person, body=body, own=own)


def _download(body, *, mimetype: str, extension: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = \
        f'attachment; filename="fieldlab-inzage-{_today().isoformat()}.{extension}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _inzage_pdf(person: User):
    body = pdf.render_pdf(_document_html(person, layout=PDF_LAYOUT), base_url=request.url_root)
    inzage.record_export(person, by=current_user, fmt="pdf")
    db.session.commit()
    return _download(body, mimetype="application/pdf", extension="pdf")


def _inzage_json(person: User):
    data = inzage.export_data(person, now=utcnow())
    inzage.record_export(person, by=current_user, fmt="json")
    db.session.commit()
    return _download(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json", extension="json")


@bp.get("/persoon/inzage")
@login_required
def inzage_page():
    require("privacy.manage")
    return _inzage_page(_person_or_404(), own=False)


@bp.get("/persoon/inzage.pdf")
@login_required
def inzage_pdf():
    require("privacy.manage")
    return _inzage_pdf(_person_or_404())


@bp.get("/persoon/export.json")
@login_required
def export_person():
    require("privacy.manage")
    return _inzage_json(_person_or_404())


@bp.get("/mijn-gegevens")
@login_required
def my_data():
    return _inzage_page(current_user, own=True)


@bp.get("/mijn-gegevens.pdf")
@login_required
def my_data_pdf():
    return _inzage_pdf(current_user)


@bp.get("/mijn-gegevens.json")
@login_required
def my_data_json():
    return _inzage_json(current_user)


# --- Erasure --------------------------------------------------------------------------------------

@bp.get("/persoon/wissen")
@login_required
def erase_confirm():
    """What erasure does, and the confirmation that does it (a POST to erase_person)."""
    require("privacy.manage")
    person = _person_or_404()
    if erasure.is_anonymised(person):
        return redirect_after_post("privacy.person", persoon=person.id)
    return render_template("privacy/erase_confirm.html", person=person, form=EmptyForm())


@bp.post("/persoon/wissen")
@login_required
def erase_person():
    require("privacy.manage")
    person = _person_or_404()
    form = EmptyForm()
    if not form.validate_on_submit() or request.form.get("bevestigen") != "ja":
        flash(_("Vink aan dat u deze persoon echt wilt wissen."), "error")
        return redirect_after_post("privacy.erase_confirm", persoon=person.id)
    # Their address and language, taken before erasure removes them: the last mail goes there.
    address, locale, person_id = person.email, person.locale, person.id
    already_erased = erasure.is_anonymised(person)
    try:
        erasure.erase_person(person, by=current_user, reason=request.form.get("reden", "")[:500])
    except erasure.ErasureRefused as refusal:
        flash(str(refusal), "error")
        return redirect_after_post("privacy.person", persoon=person.id)
    if not already_erased:
        accounts.notify_erased(address=address, locale=locale, user_id=person_id)
    db.session.commit()
    flash(_("De persoon is gewist: naam, e-mailadres, inlog en profiel zijn weg; cijfers en teamwerk blijven "
            "zonder naam bestaan."), "success")
    return redirect_after_post("privacy.index")
