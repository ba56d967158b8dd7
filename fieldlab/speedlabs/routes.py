"""Speedlab pages: prepare, change and cancel (facilitator), the live board (everyone in the
session), the summary.

The board polls `board_status` every few seconds; that answers 204 after one query when nothing
changed. Guests without an account get in through a signed join link, which puts their
invitation in the (signed) session cookie.
"""

from dataclasses import dataclass

from flask import Blueprint, Response, abort, current_app, flash, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from fieldlab.access import child_or_404, get_or_404_for, require
from fieldlab.auth.models import User
from fieldlab.auth.permissions import can, is_facilitator, speedlab_invitation_may_join
from fieldlab.extensions import db, htmx
from fieldlab.forms import EmptyForm
from fieldlab.labs.models import Lab, LabKind
from fieldlab.paging import requested_page
from fieldlab.problems.models import Problem, ProblemStatus
from fieldlab.speedlabs import alumni, cards, invitations, links, preparing, rounds, services
from fieldlab.speedlabs.forms import (
    AlumniInviteForm,
    ClusterForm,
    GuestInviteForm,
    IdeaForm,
    IdeaMoveForm,
    NotesForm,
    RoundStartForm,
    RsvpForm,
    SpeedlabCancelForm,
    SpeedlabChangeForm,
    SpeedlabCreateForm,
)
from fieldlab.speedlabs.models import (
    DEFAULT_ROUND_MINUTES,
    Cluster,
    Idea,
    InvitationStatus,
    Phase,
    SpeedlabSession,
)
from fieldlab.teams.models import Team
from fieldlab.timeutil import local, utcnow
from fieldlab.web import int_arg, redirect_after_post, render_error

bp = Blueprint("speedlabs", __name__, url_prefix="/speedlabs")

GUEST_SESSION_KEY = "speedlab_guests"


@bp.errorhandler(services.SpeedlabError)
def handle_speedlab_error(error: services.SpeedlabError):
    db.session.rollback()

    return render_error(error.status, error.message)


# --- Who is this ----------------------------------------------------------------------------

@dataclass
class Viewer:
    user: User | None
    invitation: object | None
    is_facilitator: bool

    @property
    def may_contribute(self) -> bool:
        return self.is_facilitator or self.invitation is not None


def _guest_ids() -> list[int]:
    return [int(value) for value in session.get(GUEST_SESSION_KEY, []) if isinstance(value, int)]


def _viewer_or_404(speedlab: SpeedlabSession) -> Viewer:
    """Facilitators, invited people with an account, and guests who came through their link."""
    user = current_user if current_user.is_authenticated else None
    if user is not None and can(user, "speedlab.run", speedlab):
        return Viewer(user=user, invitation=invitations.invitation_of_user(speedlab, user), is_facilitator=True)
    invitation = invitations.invitation_of_user(speedlab, user)
    if speedlab_invitation_may_join(invitation):
        return Viewer(user=user, invitation=invitation, is_facilitator=False)
    guest_ids = set(_guest_ids())
    for invitation in speedlab.invitations:
        if invitation.id in guest_ids and speedlab_invitation_may_join(invitation):
            return Viewer(user=user, invitation=invitation, is_facilitator=False)
    abort(404)


def _speedlab_or_404(session_id: int) -> SpeedlabSession:
    return db.get_or_404(SpeedlabSession, session_id)


# --- Preparing ------------------------------------------------------------------------------

@bp.get("/")
@login_required
def index():
    return render_template("speedlabs/index.html", speedlabs=services.sessions_page(current_user, page=requested_page()),
                           may_create=can(current_user, "speedlab.manage"))


def _create_form() -> SpeedlabCreateForm:
    form = SpeedlabCreateForm()
    problems = db.session.scalars(
        select(Problem).where(Problem.status.in_([ProblemStatus.SUBMITTED, ProblemStatus.ACCEPTED]))
        .order_by(Problem.title)).all()
    form.problem_id.choices = [(0, _("Geen: een losse vraag"))] + [(p.id, p.title) for p in problems]
    labs = db.session.scalars(select(Lab).where(Lab.kind == LabKind.SPEEDLAB).order_by(Lab.name)).all()
    form.lab_id.choices = [(0, _("Geen"))] + [(lab.id, lab.name) for lab in labs]
    return form


@bp.route("/nieuw", methods=["GET", "POST"])
@login_required
def new():
    require("speedlab.manage")
    form = _create_form()
    if request.method == "GET" and int_arg("vraagstuk"):
        problem = db.session.get(Problem, int_arg("vraagstuk"))
        if problem is not None and any(choice[0] == problem.id for choice in form.problem_id.choices):
            form.problem_id.data = problem.id
            form.title.data = problem.title
    if form.validate_on_submit():
        problem = db.session.get(Problem, form.problem_id.data) if form.problem_id.data else None
        lab = db.session.get(Lab, form.lab_id.data) if form.lab_id.data else None
        owner_user = User.by_email(form.owner_email.data) if (not problem and form.owner_email.data) else None
        speedlab = preparing.create_session(
            title=form.title.data, question=form.question.data, context=form.context.data,
            starts_at=form.moment(form.starts.data), ends_at=form.moment(form.ends.data),
            place=form.place.data or "", online_url=form.online_url.data or "", seats=form.seats.data,
            dots_per_participant=form.dots.data, problem=problem, lab=lab, owner_user=owner_user,
            owner_name=form.owner_name.data or "", owner_email=form.owner_email.data or "",
            by=current_user, now=utcnow(),
        )
        db.session.commit()
        flash(_("Het speedlab is aangemaakt. Nodig nu alumni uit."), "success")
        return redirect_after_post("speedlabs.prepare", session_id=speedlab.id)
    return render_template("speedlabs/new.html", form=form), 422 if form.errors else 200


def _prepare_page(speedlab, *, alumni_form=None, guest_form=None, status=200):
    suggestions = [] if speedlab.cancelled else alumni.suggest_alumni(speedlab, today=local(utcnow()).date())
    alumni_form = alumni_form or AlumniInviteForm()
    alumni_form.user_ids.choices = [(s.user.id, s.user.name) for s in suggestions]
    free = speedlab.seats - invitations.seats_taken(speedlab)
    return render_template(
        "speedlabs/prepare.html", speedlab=speedlab, suggestions=suggestions, alumni_form=alumni_form,
        guest_form=guest_form or GuestInviteForm(), free_seats=max(free, 0),
        waiting=invitations.waiting_list(speedlab),
    ), status


@bp.get("/<int:session_id>")
@login_required
def prepare(session_id):
    return _prepare_page(get_or_404_for(SpeedlabSession, session_id, "speedlab.run"))


def _change_form(speedlab: SpeedlabSession) -> SpeedlabChangeForm:
    data = None
    if request.method == "GET":
        starts, ends = local(speedlab.starts_at), local(speedlab.ends_at)
        data = {"title": speedlab.title, "question": speedlab.question, "context": speedlab.context,
                "day": starts.date(), "starts": starts.time().replace(tzinfo=None),
                "ends": ends.time().replace(tzinfo=None), "place": speedlab.place, "online_url": speedlab.online_url}
    return SpeedlabChangeForm(data=data, current_starts_at=speedlab.starts_at, current_ends_at=speedlab.ends_at,
                              now=utcnow())


@bp.route("/<int:session_id>/wijzigen", methods=["GET", "POST"])
@login_required
def change(session_id):
    """Change question, date, times or place before the speedlab starts; see preparing.change_session
    for who hears of it."""
    speedlab = get_or_404_for(SpeedlabSession, session_id, "speedlab.run")
    preparing.ensure_changeable(speedlab)
    form = _change_form(speedlab)
    if not form.validate_on_submit():
        return render_template("speedlabs/change.html", speedlab=speedlab, form=form), 422 if form.errors else 200
    details = preparing.SpeedlabDetails(
        title=form.title.data, question=form.question.data, context=form.context.data or "",
        starts_at=form.moment(form.starts.data), ends_at=form.moment(form.ends.data),
        place=form.place.data or "", online_url=form.online_url.data or "")
    result = preparing.change_session(speedlab, details, by=current_user, now=utcnow())
    db.session.commit()
    if not result.fields:
        flash(_("Er is niets gewijzigd."), "success")
    elif result.notified:
        flash(_("Het speedlab is gewijzigd. Wie is uitgenodigd en niet heeft afgezegd, krijgt bericht van de "
                "wijziging."), "success")
    else:
        flash(_("Het speedlab is gewijzigd."), "success")
    return redirect_after_post("speedlabs.prepare", session_id=speedlab.id)


@bp.route("/<int:session_id>/annuleren", methods=["GET", "POST"])
@login_required
def cancel(session_id):
    """The confirmation page (with the reason) is the step before cancelling: a plain form post."""
    speedlab = get_or_404_for(SpeedlabSession, session_id, "speedlab.run")
    preparing.ensure_cancellable(speedlab)
    form = SpeedlabCancelForm()
    if not form.validate_on_submit():
        return render_template("speedlabs/cancel.html", speedlab=speedlab, form=form,
                               people=preparing.people_to_tell(speedlab)), 422 if form.errors else 200
    preparing.cancel_session(speedlab, reason=form.reason.data, by=current_user, now=utcnow())
    db.session.commit()
    flash(_("Het speedlab is geannuleerd. Wie was uitgenodigd en niet had afgezegd, krijgt bericht."), "success")
    return redirect_after_post("speedlabs.prepare", session_id=speedlab.id)


@bp.post("/<int:session_id>/alumni")
@login_required
def invite_alumni(session_id):
    speedlab = get_or_404_for(SpeedlabSession, session_id, "speedlab.run")
    services.ensure_not_cancelled(speedlab)
    suggestions = alumni.suggest_alumni(speedlab, today=local(utcnow()).date())
    form = AlumniInviteForm()
    form.user_ids.choices = [(s.user.id, s.user.name) for s in suggestions]
    if not form.validate_on_submit():
        return _prepare_page(speedlab, alumni_form=form, status=422)
    by_id = {s.user.id: s for s in suggestions}
    picked = [by_id[user_id].user for user_id in form.user_ids.data]
    added = invitations.invite_alumni(speedlab, picked, reasons={uid: by_id[uid].reason for uid in form.user_ids.data},
                                      by=current_user, now=utcnow())
    db.session.commit()
    waiting = sum(1 for invitation in added if invitation.status == InvitationStatus.WAITING)
    flash(_("%(n)s uitgenodigd, %(w)s op de wachtlijst.", n=len(added) - waiting, w=waiting), "success")
    return redirect_after_post("speedlabs.prepare", session_id=speedlab.id)


@bp.post("/<int:session_id>/gasten")
@login_required
def invite_guest(session_id):
    speedlab = get_or_404_for(SpeedlabSession, session_id, "speedlab.run")
    services.ensure_not_cancelled(speedlab)
    form = GuestInviteForm()
    if not form.validate_on_submit():
        return _prepare_page(speedlab, guest_form=form, status=422)
    try:
        invitation = invitations.invite_guest(speedlab, name=form.name.data, email=form.email.data,
                                              by=current_user, now=utcnow())
    except services.SpeedlabError as error:
        db.session.rollback()
        form.email.errors.append(error.message)
        return _prepare_page(_speedlab_or_404(session_id), guest_form=form, status=422)
    db.session.commit()
    flash(_("%(name)s is uitgenodigd (%(status)s).", name=invitation.name, status=invitation.status_label), "success")
    return redirect_after_post("speedlabs.prepare", session_id=speedlab.id)


# --- Signed links ---------------------------------------------------------------------------

def _invitation_for_link_or_404(token: str, purpose: str):
    try:
        return invitations.invitation_for_link(token, purpose)
    except links.InvalidLink:
        abort(404)


@bp.get("/deelnemen/<token>")
def join(token):
    """A guest's way in: the signed link remembers the invitation in this browser's session."""
    invitation = _invitation_for_link_or_404(token, links.JOIN)
    if not speedlab_invitation_may_join(invitation):
        abort(404)
    if invitation.session.cancelled:
        return _cancelled_page(invitation.session)
    if invitation.status == InvitationStatus.INVITED:
        invitations.respond(invitation, accept=True, now=utcnow())
        db.session.commit()
    guests = _guest_ids()
    if invitation.id not in guests:
        session[GUEST_SESSION_KEY] = guests + [invitation.id]
    return render_template("speedlabs/join.html", invitation=invitation, speedlab=invitation.session)


@bp.route("/antwoord/<token>", methods=["GET", "POST"])
def rsvp(token):
    invitation = _invitation_for_link_or_404(token, links.RSVP)
    form = RsvpForm()
    if invitation.session.cancelled:
        # No yes or no any more: the page says it does not go ahead, and why.
        return render_template("speedlabs/rsvp.html", invitation=invitation, speedlab=invitation.session, form=form,
                               join_token=None, starts=local(invitation.session.starts_at),
                               ends=local(invitation.session.ends_at)), 409 if request.method == "POST" else 200
    if form.validate_on_submit():
        if form.answer.data not in {"ja", "nee"}:
            abort(400)
        invitations.respond(invitation, accept=form.answer.data == "ja", now=utcnow())
        db.session.commit()
        flash(_("Dank u, uw antwoord is opgeslagen."), "success")
        return redirect_after_post("speedlabs.rsvp", token=token)
    join_token = links.make_link_token(invitation, links.JOIN) if speedlab_invitation_may_join(invitation) else None
    return render_template("speedlabs/rsvp.html", invitation=invitation, speedlab=invitation.session, form=form,
                           join_token=join_token, starts=local(invitation.session.starts_at),
                           ends=local(invitation.session.ends_at))


# --- The live board -------------------------------------------------------------------------

def _board_context(speedlab: SpeedlabSession, viewer: Viewer, *, idea_form=None, dots_errors=None):
    now = utcnow()
    visible = speedlab.votes_visible(now)
    following = speedlab.phase_enum.next
    round_form = RoundStartForm()
    if following is not None and request.method == "GET":
        round_form.minutes.data = DEFAULT_ROUND_MINUTES.get(following, 10)
    move_choices = [(0, _("Nog niet geclusterd"))] + [(c.id, c.heading) for c in speedlab.clusters]
    return {
        "speedlab": speedlab, "viewer": viewer, "now": now, "phase": speedlab.phase_enum, "Phase": Phase,
        "accepting": speedlab.accepting(now), "state": speedlab.board_state(now),
        "round_ends": local(speedlab.round_ends_at) if speedlab.round_ends_at else None,
        "groups": rounds.ideas_by_cluster(speedlab), "votes_visible": visible,
        "ranking": rounds.ranking(speedlab) if visible else [],
        "my_dots": rounds.own_dots(speedlab, viewer.invitation),
        "voters": rounds.voters_count(speedlab) if speedlab.phase_enum == Phase.VOTING else 0,
        "idea_form": idea_form or IdeaForm(formdata=None), "cluster_form": ClusterForm(formdata=None),
        "round_form": round_form, "next_phase": following, "move_choices": move_choices,
        "dots_errors": dots_errors or [], "poll_seconds": current_app.config["SPEEDLAB_POLL_SECONDS"], "empty_form": EmptyForm(),
        "my_ideas": [i for i in speedlab.ideas if viewer.invitation is not None and i.author_id == viewer.invitation.id],
    }


def _changed(response):
    """Tell every htmx element listening that the board changed (the board then polls at once)."""
    response.headers["HX-Trigger"] = "speedlab-changed"
    return response


def _cancelled_page(speedlab: SpeedlabSession, viewer: Viewer | None = None):
    """What the board and the join link show once a speedlab is cancelled: 410, with the reason."""
    return render_template("speedlabs/cancelled.html", speedlab=speedlab,
                           may_run=viewer is not None and viewer.is_facilitator), 410


@bp.get("/<int:session_id>/bord")
def board(session_id):
    speedlab = _speedlab_or_404(session_id)
    viewer = _viewer_or_404(speedlab)
    if speedlab.cancelled:
        return _cancelled_page(speedlab, viewer)
    return render_template("speedlabs/board.html", **_board_context(speedlab, viewer))


@bp.get("/<int:session_id>/bord/stand")
def board_status(session_id):
    """The polling endpoint: 204 when revision and round state are as the client last saw them."""
    user = current_user if current_user.is_authenticated else None
    row = services.poll_status(session_id, user_id=user.id if user else None, guest_invitation_ids=_guest_ids())
    if row is None or not (row.invited or (user is not None and is_facilitator(user) and user.active)):
        abort(404)
    if row.cancelled_at is not None:
        # Reload: the board page then says it was cancelled (polling stops with it).
        return Response(status=204, headers={"HX-Refresh": "true"})
    now = utcnow()
    state = services.state_of(row.phase, row.round_open, row.round_ends_at, now)
    if request.args.get("rev", type=int) == row.revision and request.args.get("state") == state:
        return Response(status=204)
    speedlab = _speedlab_or_404(session_id)
    viewer = _viewer_or_404(speedlab)
    context = _board_context(speedlab, viewer)
    html = render_template("speedlabs/_board.html", **context)
    if request.args.get("state") != state:
        html += render_template("speedlabs/_input.html", oob=True, **context)
    return html


@bp.post("/<int:session_id>/ronde/volgende")
@login_required
def next_round(session_id):
    speedlab = get_or_404_for(SpeedlabSession, session_id, "speedlab.run")
    services.ensure_not_cancelled(speedlab)
    form = RoundStartForm()
    if not form.validate_on_submit():
        return render_template("speedlabs/board.html", **_board_context(speedlab, _viewer_or_404(speedlab))), 422
    phase = rounds.start_next_round(speedlab, minutes=form.minutes.data, by=current_user, now=utcnow())
    db.session.commit()
    flash(_("De ronde '%(phase)s' is begonnen.", phase=phase.label), "success")
    return redirect_after_post("speedlabs.board", session_id=speedlab.id)


@bp.post("/<int:session_id>/ronde/stoppen")
@login_required
def stop_round(session_id):
    speedlab = get_or_404_for(SpeedlabSession, session_id, "speedlab.run")
    services.ensure_not_cancelled(speedlab)
    EmptyForm().validate_on_submit() or abort(400)
    rounds.stop_round(speedlab, by=current_user, now=utcnow())
    db.session.commit()
    flash(_("De ronde is gestopt."), "success")
    return redirect_after_post("speedlabs.board", session_id=speedlab.id)


@bp.post("/<int:session_id>/ideeen")
def add_idea(session_id):
    speedlab = _speedlab_or_404(session_id)
    viewer = _viewer_or_404(speedlab)
    services.ensure_not_cancelled(speedlab)
    form = IdeaForm()
    if form.validate_on_submit():
        try:
            rounds.add_idea(speedlab, author=viewer.invitation if not viewer.is_facilitator else None,
                            title=form.title.data, explanation=form.explanation.data, now=utcnow(),
                            submission=form.submission.data)
        except rounds.RoundClosed as error:
            db.session.rollback()
            form.title.errors.append(error.message)
        else:
            db.session.commit()
            if htmx:
                return _changed(Response(render_template("speedlabs/_input.html",
                                                         **_board_context(speedlab, viewer))))
            flash(_("Uw idee staat op het bord."), "success")
            return redirect_after_post("speedlabs.board", session_id=speedlab.id)
    context = _board_context(speedlab, viewer, idea_form=form)
    template = "speedlabs/_input.html" if htmx else "speedlabs/board.html"
    return render_template(template, **context), 422


@bp.post("/<int:session_id>/clusters")
@login_required
def add_cluster(session_id):
    speedlab = get_or_404_for(SpeedlabSession, session_id, "speedlab.run")
    services.ensure_not_cancelled(speedlab)
    form = ClusterForm()
    if not form.validate_on_submit():
        context = _board_context(speedlab, _viewer_or_404(speedlab))
        context["cluster_form"] = form
        return render_template("speedlabs/_input.html" if htmx else "speedlabs/board.html", **context), 422
    rounds.add_cluster(speedlab, heading=form.heading.data, by=current_user, now=utcnow())
    db.session.commit()
    if htmx:
        return _changed(Response(render_template("speedlabs/_input.html",
                                                 **_board_context(speedlab, _viewer_or_404(speedlab)))))
    return redirect_after_post("speedlabs.board", session_id=speedlab.id)


@bp.post("/<int:session_id>/ideeen/<int:idea_id>/cluster")
@login_required
def move_idea(session_id, idea_id):
    speedlab = get_or_404_for(SpeedlabSession, session_id, "speedlab.run")
    services.ensure_not_cancelled(speedlab)
    idea = child_or_404(db.session.get(Idea, idea_id), speedlab.id, "session_id")
    form = IdeaMoveForm()
    form.cluster_id.choices = [(0, "")] + [(c.id, c.heading) for c in speedlab.clusters]
    if not form.validate_on_submit():
        abort(400)
    cluster = db.session.get(Cluster, form.cluster_id.data) if form.cluster_id.data else None
    position = int(form.position.data) if (form.position.data or "").isdigit() else None
    rounds.move_idea(speedlab, idea, cluster=cluster, position=position, by=current_user, now=utcnow())
    db.session.commit()
    if htmx:
        return _changed(Response(status=204))
    return redirect_after_post("speedlabs.board", session_id=speedlab.id)


@bp.post("/<int:session_id>/stippen")
def set_dots(session_id):
    speedlab = _speedlab_or_404(session_id)
    viewer = _viewer_or_404(speedlab)
    services.ensure_not_cancelled(speedlab)
    if viewer.invitation is None:
        abort(404)
    EmptyForm().validate_on_submit() or abort(400)
    allocation, errors = {}, []
    for idea in speedlab.ideas:
        raw = (request.form.get(f"dots-{idea.id}") or "0").strip() or "0"
        if not raw.isdigit():
            errors.append(_("Vul bij elk idee een heel aantal stippen in (0 of meer)."))
            break
        allocation[idea.id] = int(raw)
    if not errors:
        try:
            rounds.set_dots(speedlab, viewer.invitation, allocation, now=utcnow())
        except services.SpeedlabError as error:
            db.session.rollback()
            errors.append(error.message)
    if errors:
        context = _board_context(speedlab, viewer, dots_errors=errors)
        # The fields keep what was typed; the line above them says what is saved.
        context["saved_dots"] = sum(context["my_dots"].values())
        context["my_dots"] = allocation
        return render_template("speedlabs/_input.html" if htmx else "speedlabs/board.html", **context), 422
    db.session.commit()
    if htmx:
        return _changed(Response(render_template("speedlabs/_input.html", saved=True,
                                                 **_board_context(speedlab, viewer))))
    flash(_("Uw stippen zijn opgeslagen."), "success")
    return redirect_after_post("speedlabs.board", session_id=speedlab.id)


# --- Afterwards -----------------------------------------------------------------------------

@bp.get("/<int:session_id>/samenvatting")
@login_required
def summary(session_id, notes_form=None, status=200):
    speedlab = get_or_404_for(SpeedlabSession, session_id, "speedlab.summary")
    notes_form = notes_form or NotesForm(notes=speedlab.facilitator_notes)
    return render_template(
        "speedlabs/summary.html", speedlab=speedlab, participants=rounds.took_part(speedlab),
        groups=rounds.ideas_by_cluster(speedlab), ranking=rounds.ranking(speedlab),
        may_run=can(current_user, "speedlab.run", speedlab), notes_form=notes_form,
        board_teams=cards.teams_for_cards(today=local(utcnow()).date()) if can(current_user, "speedlab.run", speedlab) else [],
        on_boards=cards.boards_of_ideas(speedlab),
        starts=local(speedlab.starts_at), ends=local(speedlab.ends_at),
    ), status


@bp.post("/<int:session_id>/notities")
@login_required
def save_notes(session_id):
    speedlab = get_or_404_for(SpeedlabSession, session_id, "speedlab.run")
    form = NotesForm()
    if not form.validate_on_submit():
        return summary(session_id, notes_form=form, status=422)
    rounds.save_notes(speedlab, notes=form.notes.data or "", by=current_user, now=utcnow())
    db.session.commit()
    flash(_("De notities zijn opgeslagen."), "success")
    return redirect_after_post("speedlabs.summary", session_id=speedlab.id)


@bp.post("/<int:session_id>/samenvatting/mailen")
@login_required
def mail_summary(session_id):
    speedlab = get_or_404_for(SpeedlabSession, session_id, "speedlab.run")
    EmptyForm().validate_on_submit() or abort(400)
    rounds.send_summary(speedlab, by=current_user, now=utcnow())
    db.session.commit()
    flash(_("De samenvatting staat klaar voor verzending aan %(name)s.", name=speedlab.owner_display_name), "success")
    return redirect_after_post("speedlabs.summary", session_id=speedlab.id)


@bp.post("/<int:session_id>/ideeen/<int:idea_id>/kaart")
@login_required
def idea_to_card(session_id, idea_id):
    """A facilitator adds an idea to a team's board; without a valid team nothing is saved."""
    speedlab = get_or_404_for(SpeedlabSession, session_id, "speedlab.run")
    idea = child_or_404(db.session.get(Idea, idea_id), speedlab.id, "session_id")
    EmptyForm().validate_on_submit() or abort(400)
    team = db.session.get(Team, int_arg("team_id") or 0)
    summary_url = url_for("speedlabs.summary", session_id=speedlab.id) + f"#speedlab-idea-{idea.id}"
    if team is None or team not in cards.teams_for_cards(today=local(utcnow()).date()):
        flash(_("Kies een team met een bord."), "error")
        return redirect_after_post(summary_url)
    try:
        cards.idea_to_board_card(idea, team, by=current_user, now=utcnow())
    except cards.AlreadyOnBoard as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect_after_post(summary_url)
    db.session.commit()
    flash(_("'%(title)s' staat op het bord van %(team)s, bij Gepland.", title=idea.title, team=team.name),
          "success")
    return redirect_after_post(summary_url)


@bp.post("/<int:session_id>/ideeen/<int:idea_id>/vraagstuk")
@login_required
def idea_to_problem(session_id, idea_id):
    speedlab = get_or_404_for(SpeedlabSession, session_id, "speedlab.run")
    idea = child_or_404(db.session.get(Idea, idea_id), speedlab.id, "session_id")
    EmptyForm().validate_on_submit() or abort(400)
    problem = rounds.idea_to_problem(idea, by=current_user, now=utcnow())
    db.session.commit()
    flash(_("Concept-vraagstuk '%(title)s' is aangemaakt.", title=problem.title), "success")
    return redirect_after_post(url_for("speedlabs.summary", session_id=speedlab.id) + f"#speedlab-idea-{idea.id}")
