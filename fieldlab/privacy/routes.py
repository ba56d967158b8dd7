import json

from flask import Blueprint, Response, abort, flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from fieldlab.access import require
from fieldlab.auth.models import User
from fieldlab.extensions import db
from fieldlab.forms import EmptyForm
from fieldlab.paging import requested_page
from fieldlab.privacy import services
from fieldlab.timeutil import local, utcnow
from fieldlab.web import int_arg, redirect_after_post

bp = Blueprint("privacy", __name__, url_prefix="/privacy")


@bp.get("/")
@login_required
def index():
    require("privacy.manage")
    search = (request.args.get("zoek") or "").strip()[:100]
    return render_template("privacy/index.html", plans=services.purge_plans_page(page=requested_page()),
                           today=local(utcnow()).date(), search=search,
                           # People are listed only when searched for: a request names one person.
                           people=services.people_page(search, page=requested_page("personen")) if search else None,
                           retention_months=services.retention_months())


def _person_or_404() -> User:
    person = db.session.get(User, int_arg("persoon", 0))
    if person is None:
        abort(404)
    return person


@bp.get("/persoon")
@login_required
def person():
    require("privacy.manage")
    person = _person_or_404()
    return render_template("privacy/person.html", person=person, form=EmptyForm(),
                           anonymised=services.is_anonymised(person))


@bp.get("/persoon/export.json")
@login_required
def export_person():
    require("privacy.manage")
    person = _person_or_404()
    data = services.export_person(person, by=current_user)
    db.session.commit()
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="fieldlab-persoon-{person.id}.json"'})


@bp.post("/persoon/wissen")
@login_required
def erase_person():
    require("privacy.manage")
    person = _person_or_404()
    form = EmptyForm()
    if not form.validate_on_submit() or request.form.get("bevestigen") != "ja":
        flash(_("Vink aan dat u deze persoon echt wilt wissen."), "error")
        return redirect_after_post("privacy.person", persoon=person.id)
    try:
        services.erase_person(person, by=current_user)
    except services.ErasureRefused as refusal:
        flash(str(refusal), "error")
        return redirect_after_post("privacy.person", persoon=person.id)
    db.session.commit()
    flash(_("De persoon is gewist: naam, e-mailadres, inlog en profiel zijn weg; cijfers en teamwerk blijven "
            "zonder naam bestaan."), "success")
    return redirect_after_post("privacy.index")
