from datetime import date

from flask import Blueprint, flash, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from fieldlab.access import child_or_404, get_or_404_for, require
from fieldlab.auth.models import User
from fieldlab.auth.permissions import can
from fieldlab.extensions import db
from fieldlab.formats import spoken_list
from fieldlab.forms import EmptyForm
from fieldlab.labs import alumni as lab_alumni
from fieldlab.labs import participants as lab_participants
from fieldlab.labs import services
from fieldlab.labs.forms import (
    LabForm,
    ManagerForm,
    ParticipantAddForm,
    ParticipantPasteForm,
    PastedKindForm,
    ProfileForm,
)
from fieldlab.labs.models import Lab, Participation
from fieldlab.labs.participants import ParticipantLine
from fieldlab.labs.services import LabError
from fieldlab.organisations import services as organisation_list
from fieldlab.organisations.services import organisation_choices, organisation_rows
from fieldlab.paging import requested_page
from fieldlab.problems import listing
from fieldlab.problems import services as problems
from fieldlab.problems.models import Problem
from fieldlab.timeutil import local, utcnow
from fieldlab.web import int_arg, redirect_after_post

bp = Blueprint("labs", __name__)


def _today() -> date:
    return local(utcnow()).date()


@bp.get("/labs")
@login_required
def index():
    require("labs.list")
    return render_template("labs/index.html", labs=services.labs_page(current_user, page=requested_page()),
                           today=_today())


def _problem_to_attach() -> Problem | None:
    problem_id = int_arg("vraagstuk") or int_arg("problem_id")
    if not problem_id:
        return None
    problem = db.session.get(Problem, problem_id)
    return problem if problem is not None and can(current_user, "problem.attach", problem) else None


def _lab_form_page(form: LabForm, lab: Lab | None, problem: Problem | None, status: int):
    return render_template("labs/form.html", form=form, lab=lab, problem=problem,
                           themes=listing.known_themes()), status


def _wants_more_days(form: LabForm) -> bool:
    if request.method == "POST" and request.form.get("action") == "add_day":
        form.add_empty_days()
        return True
    return False


@bp.route("/labs/nieuw", methods=["GET", "POST"])
@login_required
def new():
    require("labs.manage")
    problem = _problem_to_attach()
    form = LabForm()
    if request.method == "GET":
        form.facilitator_ids.data = [current_user.id]
        if problem is not None:
            form.theme.data = problem.theme
            form.problem_id.data = str(problem.id)
    if _wants_more_days(form):
        return _lab_form_page(form, None, problem, 200)
    if form.validate_on_submit():
        lab = services.create_lab(form.to_data(), by=current_user)
        if problem is not None:
            problems.attach_to_lab(problem, lab, by=current_user)
        db.session.commit()
        flash(_("%(name)s is aangemaakt.", name=lab.name) if problem is None
              else _("%(name)s is aangemaakt en het vraagstuk is eraan gekoppeld.", name=lab.name), "success")
        return redirect_after_post("labs.detail", lab_id=lab.id)
    return _lab_form_page(form, None, problem, 422 if form.errors else 200)


@bp.route("/labs/<int:lab_id>/bewerken", methods=["GET", "POST"])
@login_required
def edit(lab_id):
    require("labs.manage")
    lab = get_or_404_for(Lab, lab_id, "lab.view")
    form = LabForm(obj=lab)
    if request.method == "GET":
        form.facilitator_ids.data = sorted(lab.facilitator_ids)
        while form.days.entries:
            form.days.pop_entry()
        for day in lab.programme_days:
            form.days.append_entry(day)
        form.add_empty_days()
    if _wants_more_days(form):
        return _lab_form_page(form, lab, None, 200)
    if form.validate_on_submit():
        services.update_lab(lab, form.to_data(), by=current_user)
        db.session.commit()
        flash(_("De wijzigingen zijn opgeslagen."), "success")
        return redirect_after_post("labs.detail", lab_id=lab.id)
    return _lab_form_page(form, lab, None, 422 if form.errors else 200)


@bp.get("/labs/<int:lab_id>")
@login_required
def detail(lab_id):
    lab = get_or_404_for(Lab, lab_id, "lab.view")
    steps = services.timeline(lab, today=_today())
    visible_problems = [problem for problem in lab.problems if can(current_user, "problem.view", problem)]
    return render_template("labs/detail.html", lab=lab, steps=steps, next_step=services.next_step(steps),
                           problems=visible_problems, hidden_problems=len(lab.problems) - len(visible_problems),
                           today=_today(), participant_count=lab_participants.participant_count(lab),
                           can_manage=can(current_user, "labs.manage"))


# --- Participants -----------------------------------------------------------------------------------

def _may_add_organisation() -> bool:
    return can(current_user, "organisations.add")


def _participants_page(lab: Lab, status: int = 200, *, add_form=None, paste_form=None, preview=None,
                       manager_form=None, kind_form=None):
    participations = lab_participants.participants_of(lab)
    candidates = lab_participants.manager_candidates()
    return render_template(
        "labs/participants.html", lab=lab, participations=participations,
        add_form=add_form or ParticipantAddForm(formdata=None, may_add_organisation=_may_add_organisation()),
        paste_form=paste_form or ParticipantPasteForm(),
        manager_form=manager_form or ManagerForm(participations=participations, candidates=candidates),
        preview=preview, kind_form=kind_form,
        may_add_organisation=_may_add_organisation(), question_for=organisation_list.question_for,
    ), status


def _managed_lab(lab_id: int) -> Lab:
    require("labs.manage")
    return get_or_404_for(Lab, lab_id, "lab.view")


@bp.get("/labs/<int:lab_id>/deelnemers")
@login_required
def participants(lab_id):
    return _participants_page(_managed_lab(lab_id))


@bp.post("/labs/<int:lab_id>/deelnemers/toevoegen")
@login_required
def add_participant(lab_id):
    lab = _managed_lab(lab_id)
    form = ParticipantAddForm(may_add_organisation=_may_add_organisation())
    if form.is_submitted() and form.asks_which_organisation():
        return _participants_page(lab, 200, add_form=form)
    if form.validate_on_submit():
        line = lab_participants.check_participant(ParticipantLine(
            number=1, name=form.name.data, email=form.email.data, level_text=form.level.data or "",
            expertise=form.expertise.data or "",
        ), lab)
        if line.ok:
            # Only now, with the line in order: a gemeente named under "Welke gemeente?" is added.
            line.organisation = form.picked_organisation(by=current_user)
            registration = lab_participants.register_participants(lab, [line], by=current_user)
            db.session.commit()
            flash(_("%(name)s is aangemeld; er is een uitnodiging verstuurd.", name=line.name) if registration.created
                  else _("%(name)s had al een account en is aangemeld voor dit Lab.", name=line.name), "success")
            return redirect_after_post("labs.participants", lab_id=lab.id)
        form.email.errors = [*form.email.errors, *line.errors]
    return _participants_page(lab, 422, add_form=form)


@bp.post("/labs/<int:lab_id>/deelnemers/plakken")
@login_required
def paste_preview(lab_id):
    """Check every pasted line and show the result; nothing is saved here."""
    lab = _managed_lab(lab_id)
    form = ParticipantPasteForm()
    if not form.validate_on_submit():
        return _participants_page(lab, 422, paste_form=form)
    lines = lab_participants.parse_participant_lines(form.lines.data, lab)
    if not lines:
        form.lines.errors = [_("Er staat geen enkele deelnemer in wat u plakte.")]
        return _participants_page(lab, 422, paste_form=form)
    return _participants_page(lab, 200 if all(line.ok for line in lines) else 422, paste_form=form, preview=lines)


@bp.post("/labs/<int:lab_id>/deelnemers/plakken/organisatie")
@login_required
def paste_kind(lab_id):
    """A pasted line named a kind ("Gemeente"): add the concrete one named here, put it into that
    line and check the list again. The participants are still only registered on confirming."""
    lab = _managed_lab(lab_id)
    require("organisations.add")
    kind_form = PastedKindForm()
    paste_form = ParticipantPasteForm(formdata=None, lines=kind_form.lines.data)
    kind_row = organisation_list.get(kind_form.kind_id.data) if kind_form.validate_on_submit() else None
    if kind_row is None or not kind_row.generic:
        return _participants_page(lab, 422, paste_form=paste_form,
                                  preview=lab_participants.parse_participant_lines(paste_form.lines.data, lab))
    try:
        organisation = organisation_list.add_for_kind(kind_row, kind_form.name.data, by=current_user)
    except organisation_list.OrganisationError as error:
        db.session.rollback()
        kind_form.name.errors = [str(error.message)]
        return _participants_page(lab, 422, paste_form=paste_form, kind_form=kind_form,
                                  preview=lab_participants.parse_participant_lines(paste_form.lines.data, lab))
    db.session.commit()
    paste_form.lines.data = lab_participants.with_organisation(paste_form.lines.data, kind_form.line.data,
                                                               organisation.name)
    lines = lab_participants.parse_participant_lines(paste_form.lines.data, lab)
    flash(_("%(name)s staat nu in de lijst van organisaties en in regel %(line)s.", name=organisation.name,
            line=kind_form.line.data), "success")
    return _participants_page(lab, 200 if all(line.ok for line in lines) else 422, paste_form=paste_form,
                              preview=lines)


@bp.post("/labs/<int:lab_id>/deelnemers/plakken/bevestigen")
@login_required
def paste_confirm(lab_id):
    lab = _managed_lab(lab_id)
    form = ParticipantPasteForm()
    if not form.validate_on_submit():
        return _participants_page(lab, 422, paste_form=form)
    lines = lab_participants.parse_participant_lines(form.lines.data, lab)
    try:
        registration = lab_participants.register_participants(lab, lines, by=current_user)
    except LabError:
        db.session.rollback()
        return _participants_page(lab, 422, paste_form=form, preview=lines)
    db.session.commit()
    flash(ngettext("%(num)s deelnemer aangemeld: %(new)s nieuw account (uitnodiging verstuurd), %(old)s "
                   "bestaand.",
                   "%(num)s deelnemers aangemeld: %(new)s nieuwe accounts (uitnodiging verstuurd) en %(old)s "
                   "bestaande.",
                   registration.count, new=len(registration.created), old=len(registration.reused)), "success")
    return redirect_after_post("labs.participants", lab_id=lab.id)


@bp.post("/labs/<int:lab_id>/deelnemers/leidinggevende")
@login_required
def set_manager(lab_id):
    lab = _managed_lab(lab_id)
    participations = lab_participants.participants_of(lab)
    form = ManagerForm(participations=participations, candidates=lab_participants.manager_candidates())
    if form.validate_on_submit():
        participation = next(p for p in participations if p.id == form.participation_id.data)
        try:
            if (form.email.data or "").strip():
                manager = lab_participants.invite_manager(participation, name=form.name.data,
                                                          email=form.email.data, by=current_user)
            else:
                manager = db.session.get(User, form.manager_id.data) if form.manager_id.data else None
                lab_participants.set_manager(participation, manager, by=current_user)
        except LabError as error:
            db.session.rollback()
            form.manager_id.errors = [*form.manager_id.errors, str(error.message)]
            return _participants_page(lab, 422, manager_form=form)
        db.session.commit()
        flash(_("%(manager)s is nu leidinggevende van %(name)s.", manager=manager.name,
                name=participation.user.name) if manager
              else _("%(name)s heeft geen leidinggevende meer.", name=participation.user.name), "success")
        return redirect_after_post("labs.participants", lab_id=lab.id)
    return _participants_page(lab, 422, manager_form=form)


@bp.route("/labs/<int:lab_id>/deelnemers/<int:participation_id>/afmelden", methods=["GET", "POST"])
@login_required
def remove_participant(lab_id, participation_id):
    """Asked first (GET), then done (POST): taking someone off a Lab takes them out of its teams."""
    lab = _managed_lab(lab_id)
    participation = child_or_404(db.session.get(Participation, participation_id), lab.id, "lab_id")
    form = EmptyForm()
    if request.method == "GET":
        teams = [team for team in lab.teams if participation.user_id in team.member_ids]
        return render_template("labs/remove_participant.html", lab=lab, participation=participation, form=form,
                               teams=teams, team_names=spoken_list(team.name for team in teams))
    if form.validate_on_submit():
        name = participation.user.name
        lab_participants.remove_participant(participation, by=current_user)
        db.session.commit()
        flash(_("%(name)s is afgemeld voor dit Lab.", name=name), "success")
    return redirect_after_post("labs.participants", lab_id=lab.id)


# --- My profile ---------------------------------------------------------------------------------------

@bp.route("/mijn-profiel", methods=["GET", "POST"])
@login_required
def profile():
    require("profile.edit")
    profile = lab_participants.profile_for(current_user)
    choices = organisation_choices()
    current = current_user.organisation
    if current is not None and current.generic:  # registered before kinds were marked: keep it choosable
        choices.append((current.id, current.name))
    form = ProfileForm(organisation_choices=choices)
    if request.method == "GET":
        form.organisation_id.data = current_user.organisation_id or 0
        form.level.data = profile.level
        form.expertise.data = ", ".join(profile.expertise or [])
    if form.validate_on_submit():
        lab_participants.update_profile(current_user, organisation_id=form.organisation_id.data or None,
                                        level=form.level.data, expertise=problems.parse_tags(form.expertise.data),
                                        by=current_user)
        db.session.commit()
        flash(_("Uw profiel is opgeslagen."), "success")
        return redirect_after_post("labs.profile")
    my_labs = services.labs_list(current_user)
    return render_template("labs/profile.html", form=form, my_labs=my_labs), 422 if form.errors else 200


# --- Alumni --------------------------------------------------------------------------------------------

@bp.get("/alumni")
@login_required
def alumni():
    require("alumni.view")
    theme = (request.args.get("thema") or "").strip()
    organisation_id = int_arg("organisatie")
    expertise = (request.args.get("expertise") or "").strip()
    found = lab_alumni.alumni_page(today=_today(), page=requested_page(), theme=theme or None,
                                   organisation_id=organisation_id, expertise=expertise or None)
    return render_template("labs/alumni.html", alumni=found, theme=theme, organisation_id=organisation_id,
                           expertise=expertise, themes=services.lab_themes(),
                           organisations=organisation_rows())

