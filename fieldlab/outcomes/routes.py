"""The day-100 result page, the sustainability answer (no account needed) and the library.

Routes: parse → guard (404 when the team's board is not the user's to read) → service → commit →
render. Every form is a plain POST that redirects (303), so everything works without JavaScript.
"""

from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from fieldlab import links
from fieldlab.access import require, visible_or_404
from fieldlab.auth.permissions import can
from fieldlab.extensions import db, htmx
from fieldlab.forms import EmptyForm
from fieldlab.outcomes import jobs, library, services
from fieldlab.outcomes.forms import (
    CommissionerViewForm,
    LibraryFilterForm,
    SustainabilityForm,
    result_form,
)
from fieldlab.timeutil import LOCAL_ZONE, utcnow
from fieldlab.web import int_arg, to_int

bp = Blueprint("outcomes", __name__)

RESULT_FIELDS = ("goal_reached", "goal_explanation", "changes", "lessons", "continuation", "owner_name",
                 "owner_organisation", "owner_email", "reveals_weakness", "weakness_summary")


def _today():
    return utcnow().astimezone(LOCAL_ZONE).date()


def _plain(value):
    """24 rather than 24.00 in the form: the column keeps two decimals, people write whole numbers."""
    if value is None or value != value.to_integral_value():
        return value
    return value.quantize(Decimal(1))


def signal_url(team_id: int) -> str:
    """Where a team starts a bestuurlijk signaal from its result (the signals feature)."""
    return url_for("signals.new", team=team_id)


def _form_for(team, result, *, formdata=None):
    rows = result.indicators if result is not None else []
    if formdata is not None:
        return result_form(rows, formdata=formdata)
    form = result_form(rows, formdata=None)
    if result is not None:
        for name in RESULT_FIELDS:
            value = getattr(result, name)
            if name == "reveals_weakness":
                value = None if value is None else ("yes" if value else "no")
            getattr(form, name).data = value
        for row in rows:
            getattr(form, f"indicator_{row.indicator_id}").data = _plain(row.final_value)
        form.version.data = str(result.version)
    return form


def _render(team, *, form=None, commissioner_form=None, conflict=None, submit_error=None, status=200):
    result = team.result
    today = _today()
    editable = can(current_user, "result.edit", team) and services.is_open(team, today=today)
    if editable and form is None:
        form = _form_for(team, result)
    if commissioner_form is None and result is not None and result.is_submitted:
        commissioner_form = CommissionerViewForm(
            formdata=None, grade=result.commissioner_grade, follow_up=result.commissioner_follow_up)
    return render_template(
        "outcomes/result.html", team=team, result=result, form=form, editable=editable, conflict=conflict,
        opens_on=services.opens_on(team.challenge), day_100=services.day_100(team.challenge),
        is_leader=services.is_leader(team, current_user), has_leader=services.has_leader(team),
        missing=services.missing_answers(result) if result is not None and not result.is_submitted else [],
        may_give_view=can(current_user, "result.commissioner_view", team),
        commissioner_form=commissioner_form, submit_form=EmptyForm(), today=today, signal_url=signal_url(team.id),
        submit_error=submit_error,
    ), status


@bp.get("/teams/<int:team_id>/resultaat")
@login_required
def result(team_id):
    team = visible_or_404(services.load_team(team_id), "result.view")
    if team.result is None and can(current_user, "result.edit", team) and services.is_open(team, today=_today()):
        # Show the pre-filled indicators at once; the draft row itself is harmless if never saved.
        services.start_result(team, by=current_user, now=utcnow())
        db.session.commit()
    return _render(team)


def _input_from(form, result) -> services.ResultInput:
    weakness = form.reveals_weakness.data
    return services.ResultInput(
        goal_reached=form.goal_reached.data or None, goal_explanation=form.goal_explanation.data or "",
        changes=form.changes.data or "", lessons=form.lessons.data or "", continuation=form.continuation.data or "",
        owner_name=form.owner_name.data or "", owner_organisation=form.owner_organisation.data or "",
        owner_email=form.owner_email.data or "",
        reveals_weakness=None if not weakness else weakness == "yes",
        weakness_summary=form.weakness_summary.data or "",
        indicators=[services.IndicatorInput(row.indicator_id, getattr(form, f"indicator_{row.indicator_id}").data)
                    for row in result.indicators],
    )


@bp.post("/teams/<int:team_id>/resultaat")
@login_required
def save_result(team_id):
    team = visible_or_404(services.load_team(team_id), "result.view", "result.edit")
    now = utcnow()
    if not services.is_open(team, today=_today()):
        flash(_("Het resultaat kan nu niet worden gewijzigd."), "error")
        return redirect(url_for("outcomes.result", team_id=team_id), code=303)
    result = services.start_result(team, by=current_user, now=now)
    form = _form_for(team, result, formdata=request.form)
    if not form.validate_on_submit():
        return _render(team, form=form, status=422)
    expected = to_int(form.version.data) or result.version
    try:
        services.save_result(team, _input_from(form, result), expected_version=expected, by=current_user, now=now)
    except services.StaleResultError as error:
        db.session.rollback()
        team = services.load_team(team_id)
        form.version.data = str(team.result.version)
        return _render(team, form=form, conflict=error, status=409)
    db.session.commit()
    flash(_("Het resultaat is opgeslagen."), "success")
    if result.reveals_weakness and request.form.get("next") == "signal":
        return redirect(signal_url(team_id), code=303)
    return redirect(url_for("outcomes.result", team_id=team_id), code=303)


@bp.post("/teams/<int:team_id>/resultaat/indienen")
@login_required
def submit_result(team_id):
    team = visible_or_404(services.load_team(team_id), "result.view", "result.edit")
    if not EmptyForm().validate_on_submit():
        abort(400)
    if request.form.get("bevestigd") != "ja":
        # Submitting cannot be undone: one click on the wrong button is not enough.
        return _render(team, submit_error=_("Vink aan dat het resultaat klaar is om in te dienen."), status=422)
    try:
        services.submit_result(team, by=current_user, now=utcnow())
    except services.ResultError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("outcomes.result", team_id=team_id), code=303)
    db.session.commit()
    flash(_("Het resultaat is ingediend. Dank u wel!"), "success")
    return redirect(url_for("outcomes.result", team_id=team_id), code=303)


@bp.post("/teams/<int:team_id>/resultaat/opdrachtgever")
@login_required
def commissioner_view(team_id):
    team = visible_or_404(services.load_team(team_id), "result.view", "result.commissioner_view")
    form = CommissionerViewForm()
    if team.result is None or not team.result.is_submitted:
        abort(409)
    if not form.validate_on_submit():
        return _render(team, commissioner_form=form, status=422)
    services.add_commissioner_view(team.result, grade=form.grade.data, follow_up=form.follow_up.data,
                                   by=current_user, now=utcnow())
    db.session.commit()
    flash(_("Uw oordeel is opgeslagen."), "success")
    return redirect(url_for("outcomes.result", team_id=team_id), code=303)


# --- The six-month question, answered through a signed single-use link -----------------------------

@bp.route("/borging/<token>", methods=["GET", "POST"])
def sustainability(token):
    try:
        payload = links.unsign(jobs.LINK_SALT, token, max_age=jobs.LINK_MAX_AGE)
    except links.LinkError as error:
        message = (_("Deze link is verlopen. Neem contact op met de Field Lab Hub als u de vragen nog wilt "
                     "beantwoorden.") if error.reason == "expired" else _("Deze link klopt niet."))
        return render_template("outcomes/sustainability_done.html", message=message), 410 if error.reason == "expired" else 404
    answer = services.find_open_answer(to_int(payload.get("a")) or 0, str(payload.get("n", "")))
    if answer is None:
        return render_template("outcomes/sustainability_done.html",
                               message=_("Deze vragen zijn al beantwoord. Dank u wel.")), 410
    form = SustainabilityForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            services.answer_sustainability(answer, services.SustainabilityInput(
                still_in_use=form.still_in_use.data, led_to=form.led_to.data, spread=form.spread.data == "yes",
                spread_regions=form.spread_regions.data or ""), now=utcnow())
            db.session.commit()
            return render_template("outcomes/sustainability_done.html",
                                   message=_("Dank u wel. Uw antwoord is bij het resultaat van het team bewaard."))
        status = 422
    return render_template("outcomes/sustainability.html", form=form, answer=answer,
                           team=answer.result.team), status


# --- The intervention library -------------------------------------------------------------------

@bp.get("/interventies")
@login_required
def library_index():
    require("library.view")
    choices = library.filter_choices()
    form = LibraryFilterForm(request.args)
    form.theme.choices = [("", _("Alle"))] + [(theme, theme) for theme in choices.themes]
    form.organisation.choices = [("", _("Alle"))] + [(str(o.id), o.name) for o in choices.organisations]
    form.year.choices = [("", _("Alle"))] + [(str(year), str(year)) for year in choices.years]
    form.validate()
    library_filter = library.LibraryFilter(
        q=(form.q.data or "").strip(), theme=form.theme.data if not form.theme.errors else "",
        organisation_id=to_int(form.organisation.data) if not form.organisation.errors else None,
        goal=form.goal.data if not form.goal.errors else "",
        year=to_int(form.year.data) if not form.year.errors else None)
    page = library.entries_page(library_filter, page=int_arg("pagina", default=1))
    arguments = {key: value for key, value in request.args.items() if key != "pagina" and value}
    template = "outcomes/_library_results.html" if htmx.target == "library-results" else "outcomes/library.html"
    return render_template(template, form=form, page=page, library_filter=library_filter, arguments=arguments,
                           organisations_of=library.organisations_of, theme_of=library.theme_of)


@bp.get("/interventies/<int:result_id>")
@login_required
def library_entry(result_id):
    require("library.view")
    entry = library.entry(result_id)
    if entry is None:
        abort(404)
    return render_template("outcomes/entry.html", entry=entry, organisations=library.organisations_of(entry),
                           theme=library.theme_of(entry))


@bp.get("/interventies/vergelijkbaar")
@login_required
def similar():
    """The three most similar earlier interventions for what is being written: a fragment for the
    vraagstuk and speedlab forms (htmx, as the person types), or a page without JavaScript."""
    if not can(current_user, "library.view") and not can(current_user, "problem.submit"):
        abort(403)
    title = request.args.get("title", "")[:1000]
    theme = request.args.get("theme", "")[:120]
    raw_tags = request.args.get("expertise") or request.args.get("expertise_needed") or ""
    tags = [tag.strip() for tag in raw_tags[:500].replace("\n", ",").split(",") if tag.strip()]
    suggestions = library.similar(title=title, theme=theme, tags=tags)
    template = "outcomes/_similar.html" if htmx else "outcomes/similar.html"
    return render_template(template, suggestions=suggestions, title=title, theme=theme,
                           may_open=can(current_user, "library.view"))
