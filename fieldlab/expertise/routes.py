"""Suggestions while typing expertise: the options of the field's <datalist>, completed for the
part being typed (htmx fetches them; without JavaScript the page's own list of all tags serves)."""

from flask import Blueprint, render_template, request
from flask_login import login_required

from fieldlab.expertise import services

bp = Blueprint("expertise", __name__, url_prefix="/expertise")

FIELDS = ("expertise", "expertise_needed")


@bp.get("/suggesties")
@login_required
def suggestions():
    field = request.args.get("veld")
    text = request.args.get(field, "") if field in FIELDS else ""
    return render_template("expertise/_options.html", options=services.suggestions(text[:1000]))
