from flask import Blueprint, flash, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from fieldlab.access import require
from fieldlab.extensions import db
from fieldlab.organisations import services
from fieldlab.organisations.forms import OrganisationAddForm
from fieldlab.organisations.models import Organisation
from fieldlab.paging import paginate, requested_page
from fieldlab.web import redirect_after_post

bp = Blueprint("organisations", __name__, url_prefix="/organisaties")


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    require("organisations.add")
    form = OrganisationAddForm()
    if form.validate_on_submit():
        organisation = services.add_organisation(
            name=form.name.data, short_name=form.short_name.data, kind=form.kind.data,
            sector=form.sector.data, by=current_user,
        )
        db.session.commit()
        flash(_("%(name)s is toegevoegd.", name=organisation.name), "success")
        return redirect_after_post("organisations.index")
    organisations = paginate(
        select(Organisation).order_by(Organisation.generic.desc(), func.lower(Organisation.name), Organisation.id),
        page=requested_page())
    return render_template("organisations/index.html", form=form, organisations=organisations), \
        422 if form.errors else 200
