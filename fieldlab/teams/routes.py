"""The team formation screen of a Lab: create teams, let the app suggest, adjust by hand, confirm."""

from flask import Blueprint, abort, flash, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from fieldlab.access import get_or_404_for
from fieldlab.expertise import services as expertise_tags
from fieldlab.extensions import db, htmx
from fieldlab.labs.models import Lab
from fieldlab.problems.models import Problem
from fieldlab.teams import expertise, services
from fieldlab.teams.forms import (
    WEIGHT_LABELS,
    ExpertiseMergeForm,
    MoveForm,
    PairRuleForm,
    PinForm,
    TeamCreateForm,
    VersionedForm,
    settings_form,
)
from fieldlab.web import CONTENT_SECURITY_POLICY, redirect_after_post

bp = Blueprint("teams", __name__, url_prefix="/labs/<int:lab_id>/teams")

# SortableJS tests once, when it loads, whether the browser knows `pointer-events` by setting
# `style.cssText` on a detached element. Our CSP blocks inline styles, and Chromium checks such a
# CSSOM write against the hash of the empty string, so on this page only that hash is allowed.
# It lets no markup style in (an injected style attribute is hashed with its content) and scripts
# are 'self' only, which may set element.style properties under any CSP anyway.
EMPTY_STYLE_HASH = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
PAGE_CSP = CONTENT_SECURITY_POLICY.replace("style-src 'self'", f"style-src 'self' 'unsafe-hashes' {EMPTY_STYLE_HASH}")


@bp.after_request
def allow_sortable_feature_test(response):
    response.headers["Content-Security-Policy"] = PAGE_CSP
    return response


def _page(lab: Lab, *, status: int = 200, message: str | None = None, team_form=None, settings=None,
          pair_form=None, merge_form=None):
    draft = services.draft_for(lab) if services.needs_teams(lab) else None
    view = services.formation_view(lab, draft) if services.needs_teams(lab) else None
    participants = [p.user for p in services.participations_of(lab)]
    lab_tags = expertise.tags_in_lab(lab)
    if settings is None:
        settings = settings_form(lab.teams, formdata=None, data=_settings_data(lab, view))
    context = dict(
        lab=lab, view=view, message=message,
        team_form=team_form or TeamCreateForm(lab, formdata=None),
        settings=settings, weight_labels=WEIGHT_LABELS,
        pair_form=pair_form or PairRuleForm(participants, formdata=None),
        participant_names={user.id: user.name for user in participants},
        merge_form=merge_form or ExpertiseMergeForm(lab_tags, formdata=None),
        look_alike=expertise_tags.look_alike(lab_tags),
        needs_teams=services.needs_teams(lab),
    )
    if htmx and htmx.target == "teams-workspace":
        return render_template("teams/_workspace.html", **context), status
    return render_template("teams/formation.html", **context), status


def _settings_data(lab, view) -> dict:
    data = {f"weight_{name}": value for name, value in view.weights.as_dict().items()} if view else {}
    sizes = (view.draft.target_sizes or {}) if view and view.draft else {}
    for team in lab.teams:
        data[f"size_{team.id}"] = sizes.get(str(team.id))
    return data


def _version(form) -> int | None:
    return form.version.data


def _changed(lab: Lab, change, success: str | None = None):
    """Apply a draft change; a stale version or a broken rule re-renders the screen with a Dutch message."""
    try:
        change()
        db.session.commit()
    except services.StaleDraftError as error:
        db.session.rollback()
        return _page(lab, status=409, message=str(error))
    except StaleDataError:
        db.session.rollback()
        return _page(lab, status=409, message=str(services.StaleDraftError()))
    except services.DraftError as error:
        db.session.rollback()
        return _page(lab, status=422, message=str(error))
    if success:
        flash(success, "success")
    if htmx and htmx.target == "teams-workspace":
        return _page(lab)
    return redirect_after_post("teams.formation", lab_id=lab.id)


@bp.get("/")
@login_required
def formation(lab_id: int):
    lab = get_or_404_for(Lab, lab_id, "lab.view", "teams.form")
    return _page(lab)


@bp.post("/nieuw")
@login_required
def create_team(lab_id: int):
    lab = get_or_404_for(Lab, lab_id, "lab.view", "teams.form")
    form = TeamCreateForm(lab)
    if not form.validate_on_submit():
        return _page(lab, status=422, team_form=form)
    problem = db.session.get(Problem, form.problem_id.data) if form.problem_id.data else None
    if problem is not None and problem.lab_id != lab.id:
        abort(404)
    team = services.create_team(lab, name=form.name.data, problem=problem, by=current_user)
    db.session.commit()
    flash(_("%(team)s is aangemaakt.", team=team.name), "success")
    return redirect_after_post("teams.formation", lab_id=lab.id)


@bp.post("/voorstel")
@login_required
def propose(lab_id: int):
    lab = get_or_404_for(Lab, lab_id, "lab.view", "teams.form")
    form = VersionedForm()
    if not form.validate_on_submit():
        abort(400)
    return _changed(lab, lambda: services.propose(lab, by=current_user, expected_version=_version(form)))


@bp.post("/verplaats")
@login_required
def move(lab_id: int):
    lab = get_or_404_for(Lab, lab_id, "lab.view", "teams.form")
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    raw_team = (form.team_id.data or "").strip()
    if raw_team and not raw_team.isdigit():
        abort(400)
    team_id = int(raw_team) if raw_team else None
    return _changed(lab, lambda: services.move(lab, user_id=form.user_id.data, team_id=team_id,
                                               expected_version=_version(form), by=current_user))


@bp.post("/vastzetten")
@login_required
def pin(lab_id: int):
    lab = get_or_404_for(Lab, lab_id, "lab.view", "teams.form")
    form = PinForm()
    if not form.validate_on_submit():
        abort(400)
    return _changed(lab, lambda: services.set_pinned(lab, user_id=form.user_id.data, pinned=form.pinned.data == "1",
                                                     expected_version=_version(form), by=current_user))


@bp.post("/instellingen")
@login_required
def settings(lab_id: int):
    lab = get_or_404_for(Lab, lab_id, "lab.view", "teams.form")
    form = settings_form(lab.teams)
    if not form.validate_on_submit():
        return _page(lab, status=422, settings=form)
    weights = {name: form[f"weight_{name}"].data for name in WEIGHT_LABELS}
    sizes = {team.id: field.data for team, field in form.size_fields}
    return _changed(lab, lambda: services.update_settings(lab, weights=weights, sizes=sizes,
                                                          expected_version=_version(form), by=current_user))


@bp.post("/regels")
@login_required
def add_pair_rule(lab_id: int):
    lab = get_or_404_for(Lab, lab_id, "lab.view", "teams.form")
    form = PairRuleForm([p.user for p in services.participations_of(lab)])
    if not form.validate_on_submit():
        return _page(lab, status=422, pair_form=form)
    return _changed(lab, lambda: services.add_pair_rule(
        lab, first_user_id=form.first_user_id.data, second_user_id=form.second_user_id.data, kind=form.kind.data,
        expected_version=_version(form), by=current_user))


@bp.post("/regels/<int:rule_id>/verwijderen")
@login_required
def remove_pair_rule(lab_id: int, rule_id: int):
    lab = get_or_404_for(Lab, lab_id, "lab.view", "teams.form")
    form = VersionedForm()
    if not form.validate_on_submit():
        abort(400)
    return _changed(lab, lambda: services.remove_pair_rule(lab, rule_id=rule_id, expected_version=_version(form),
                                                           by=current_user))


@bp.post("/expertise/samenvoegen")
@login_required
def merge_expertise(lab_id: int):
    lab = get_or_404_for(Lab, lab_id, "lab.view", "teams.form")
    form = ExpertiseMergeForm(expertise.tags_in_lab(lab))
    if not form.validate_on_submit():
        return _page(lab, status=422, merge_form=form)
    try:
        result = expertise.merge_tags(source=form.source.data, target=form.target.data, by=current_user)
        db.session.commit()
    except services.DraftError as error:
        db.session.rollback()
        return _page(lab, status=422, message=str(error))
    flash(_("‘%(source)s’ is samengevoegd met ‘%(target)s’: %(profiles)s profielen en %(problems)s vraagstukken "
            "aangepast.", source=result.source, target=result.target, profiles=result.profiles,
            problems=result.problems), "success")
    return redirect_after_post("teams.formation", lab_id=lab.id)


@bp.post("/bevestigen")
@login_required
def confirm(lab_id: int):
    lab = get_or_404_for(Lab, lab_id, "lab.view", "teams.form")
    form = VersionedForm()
    if not form.validate_on_submit():
        abort(400)

    return _changed(lab, lambda: services.confirm(lab, expected_version=_version(form), by=current_user),
                    success=_("De teams zijn bevestigd. Elke deelnemer krijgt een bericht over zijn of haar team."))
