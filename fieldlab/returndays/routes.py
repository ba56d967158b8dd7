import csv
import io
from datetime import date, timedelta

from flask import Blueprint, Response, abort, flash, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from fieldlab.access import child_or_404, get_or_404_for, require
from fieldlab.audit import services as audit
from fieldlab.auth.permissions import can
from fieldlab.boards.models import RETURN_DAY_NUMBERS
from fieldlab.extensions import db
from fieldlab.formats import spoken_list
from fieldlab.forms import EmptyForm
from fieldlab.labs.models import Lab
from fieldlab.mail.services import external_url
from fieldlab.paging import requested_page
from fieldlab.returndays import calendar, decisions, invitations, jobs, moves, overview, services
from fieldlab.returndays import pack as return_day_pack
from fieldlab.returndays import rsvp as rsvp_links
from fieldlab.returndays.forms import (
    ActionForm,
    LabSettingsForm,
    ReturnDayCancelForm,
    ReturnDayForm,
    RsvpForm,
    StakeholderForm,
)
from fieldlab.returndays.models import Invitation, ReturnDay, ReturnDayAction, ReturnDayStatus
from fieldlab.teams.models import Team
from fieldlab.timeutil import local, utcnow
from fieldlab.web import redirect_after_post

bp = Blueprint("returndays", __name__)
# The calendar has its own blueprint so the navigation marks "Agenda", not "Terugkomdagen".
calendar_bp = Blueprint("agenda", __name__)


def _details(form: ReturnDayForm) -> decisions.Details:
    return decisions.Details(day=form.day.data, start=form.start.data, end=form.end.data,
                             place=form.place.data or "", online_link=form.online_link.data or "",
                             agenda=form.agenda.data or "")


def _form_for(day_number: int, return_day: ReturnDay | None, proposal, lab: Lab, *, formdata=None):
    prefix = f"day{day_number}"
    if return_day is not None:
        details = decisions.details_of(return_day)
    elif proposal is not None:
        details = decisions.Details(day=proposal.proposed_date, start=services.DEFAULT_START,
                                    end=services.DEFAULT_END, place=lab.place or "")
    else:
        details = decisions.Details(day=None, start=services.DEFAULT_START, end=services.DEFAULT_END,
                                    place=lab.place or "")
    return ReturnDayForm(formdata=formdata, prefix=prefix, data=vars(details))


def _planning_rows(lab: Lab, team: Team | None, *, failed: tuple[int, ReturnDayForm] | None = None):
    challenge = moves.source_challenge(lab, team)
    proposals = {p.day_number: p for p in services.propose_return_days(challenge)} if challenge else {}
    rows = []
    for number in RETURN_DAY_NUMBERS:
        return_day = services.existing_return_day(lab, team, number)
        if failed is not None and failed[0] == number:
            form = failed[1]
        else:
            form = _form_for(number, return_day, proposals.get(number), lab, formdata=None)
        rows.append({"number": number, "return_day": return_day, "proposal": proposals.get(number), "form": form})
    return challenge, rows


# --- Overview and planning ------------------------------------------------------------------

@bp.get("/terugkomdagen")
@login_required
def index():
    if can(current_user, "returndays.plan"):
        labs, by_owner, shared = overview.labs_page(page=requested_page())
        return render_template("returndays/index.html", labs=labs, by_owner=by_owner, numbers=RETURN_DAY_NUMBERS,
                               mine=None, shared=shared)
    now = utcnow()
    return render_template("returndays/index.html", labs=None, by_owner={}, numbers=RETURN_DAY_NUMBERS,
                           mine=overview.invitations_page(current_user, page=requested_page(), now=now), shared={},
                           now=now)


@bp.get("/terugkomdagen/team/<int:team_id>")
@login_required
def team_planning(team_id):
    require("returndays.plan")
    team = db.get_or_404(Team, team_id)
    shared = services.settings_for(team.lab).shared
    db.session.commit()
    challenge, rows = _planning_rows(team.lab, team)
    return render_template("returndays/team.html", team=team, lab=team.lab, challenge=challenge, rows=rows,
                           shared=shared, moved=moves.moved_days(team.lab, team), local=local)


def _retime(lab: Lab, team: Team | None):
    """One action for every flagged day: the ticked ones move to their new proposal, the others
    keep their date deliberately. Works as a plain form (no JavaScript)."""
    EmptyForm().validate_on_submit() or abort(400)
    move = {int(value) for value in request.form.getlist("move") if value in {str(n) for n in RETURN_DAY_NUMBERS}}
    moved, kept = moves.retime_return_days(lab, team, move=move, by=current_user, now=utcnow())
    db.session.commit()
    jobs.sync_soon()
    if moved:
        flash(_("Verplaatst: dag %(days)s. Wie niet had afgezegd, krijgt een gewijzigde uitnodiging.",
                days=spoken_list(day.day_number for day in moved)), "success")
    if kept:
        flash(_("Bewust op de vastgelegde datum gehouden: dag %(days)s.",
                days=spoken_list(day.day_number for day in kept)), "success")
    if team is None:
        return redirect_after_post("returndays.lab_planning", lab_id=lab.id)
    return redirect_after_post("returndays.team_planning", team_id=team.id)


@bp.post("/terugkomdagen/team/<int:team_id>/verplaatsen")
@login_required
def retime_team_days(team_id):
    require("returndays.plan")
    team = db.get_or_404(Team, team_id)
    return _retime(team.lab, team)


@bp.post("/terugkomdagen/lab/<int:lab_id>/verplaatsen")
@login_required
def retime_lab_days(lab_id):
    require("returndays.plan")
    lab = db.get_or_404(Lab, lab_id)
    return _retime(lab, None)


@bp.post("/terugkomdagen/team/<int:team_id>/dag/<int:day_number>")
@login_required
def save_team_day(team_id, day_number):
    require("returndays.plan")
    team = db.get_or_404(Team, team_id)
    if day_number not in RETURN_DAY_NUMBERS:
        abort(404)
    return _save(team.lab, team, day_number)


@bp.route("/terugkomdagen/lab/<int:lab_id>", methods=["GET", "POST"])
@login_required
def lab_planning(lab_id):
    require("returndays.plan")
    lab = db.get_or_404(Lab, lab_id)
    setting = services.settings_for(lab)
    form = LabSettingsForm(obj=setting)
    if form.validate_on_submit():
        services.update_settings(lab, invitation_days_before=form.invitation_days_before.data,
                                 shared=form.shared.data, by=current_user, now=utcnow())
        db.session.commit()
        jobs.sync_soon()
        flash(_("De instellingen voor terugkomdagen zijn opgeslagen."), "success")
        return redirect_after_post("returndays.lab_planning", lab_id=lab.id)
    db.session.commit()
    challenge, rows = _planning_rows(lab, None)
    return render_template("returndays/lab.html", lab=lab, setting=setting, form=form, challenge=challenge,
                           rows=rows, moved=moves.moved_days(lab, None), local=local,
                           teams_to_replan=_teams_to_replan(lab)), 422 if form.errors else 200


def _teams_to_replan(lab: Lab) -> set[int]:
    return {day.team_id for day in db.session.scalars(select(ReturnDay).where(
        ReturnDay.lab_id == lab.id, ReturnDay.start_moved_at.is_not(None),
        ReturnDay.status == ReturnDayStatus.CONFIRMED, ReturnDay.team_id.is_not(None)))}


@bp.post("/terugkomdagen/lab/<int:lab_id>/dag/<int:day_number>")
@login_required
def save_lab_day(lab_id, day_number):
    require("returndays.plan")
    lab = db.get_or_404(Lab, lab_id)
    if day_number not in RETURN_DAY_NUMBERS:
        abort(404)
    return _save(lab, None, day_number)


def _save(lab: Lab, team: Team | None, day_number: int):
    form = ReturnDayForm(prefix=f"day{day_number}")
    if form.validate_on_submit():
        return_day = decisions.save_return_day(lab=lab, team=team, day_number=day_number, details=_details(form),
                                               by=current_user, now=utcnow())
        db.session.commit()
        jobs.sync_soon()
        flash(_("Terugkomdag dag %(number)s is vastgelegd.", number=day_number), "success")
        return redirect_after_post("returndays.detail", return_day_id=return_day.id)
    challenge, rows = _planning_rows(lab, team, failed=(day_number, form))
    if team is None:
        return render_template("returndays/lab.html", lab=lab, setting=services.settings_for(lab),
                               form=LabSettingsForm(obj=services.settings_for(lab), formdata=None),
                               challenge=challenge, rows=rows, moved=moves.moved_days(lab, None), local=local,
                               teams_to_replan=_teams_to_replan(lab)), 422
    return render_template("returndays/team.html", team=team, lab=lab, challenge=challenge, rows=rows,
                           shared=False, moved=moves.moved_days(lab, team), local=local), 422


# --- One return day -------------------------------------------------------------------------

def _detail_page(return_day: ReturnDay, *, form=None, stakeholder_form=None, action_form=None, rsvp_form=None,
                 status=200):
    manage = can(current_user, "returnday.manage", return_day)
    own_invitation = rsvp_links.open_invitation_of(return_day, current_user, now=utcnow())
    if own_invitation is not None and rsvp_form is None:
        rsvp_form = RsvpForm(formdata=None, data={"response": own_invitation.response,
                                                  "remark": own_invitation.remark})
    return render_template(
        "returndays/detail.html", return_day=return_day, manage=manage,
        form=form or ReturnDayForm(data=vars(decisions.details_of(return_day)), formdata=None),
        stakeholder_form=stakeholder_form or StakeholderForm(formdata=None),
        action_form=action_form or ActionForm(formdata=None),
        messages=invitations.messages_of(return_day) if manage else [],
        button_form=EmptyForm(), local=local, own_invitation=own_invitation, rsvp_form=rsvp_form,
        proposal_reason=services.proposal_reason(return_day),
    ), status


@bp.get("/terugkomdagen/<int:return_day_id>")
@login_required
def detail(return_day_id):
    return _detail_page(get_or_404_for(ReturnDay, return_day_id, "returnday.view"))


@bp.post("/terugkomdagen/<int:return_day_id>/mijn-antwoord")
@login_required
def answer(return_day_id):
    """A signed-in invitee's own answer, on the return day's page (the mailed link does the same
    without an account)."""
    return_day = get_or_404_for(ReturnDay, return_day_id, "returnday.view")
    now = utcnow()
    invitation = rsvp_links.open_invitation_of(return_day, current_user, now=now)
    if invitation is None:
        flash(_("U kunt voor deze terugkomdag niet (meer) antwoorden: hij is begonnen, afgelast of u staat niet "
                "op de lijst van genodigden."), "error")
        return redirect_after_post("returndays.detail", return_day_id=return_day.id)
    form = RsvpForm()
    if not form.validate_on_submit():
        return _detail_page(return_day, rsvp_form=form, status=422)
    rsvp_links.record_response(invitation, response=form.response.data, remark=form.remark.data or "", now=now)
    db.session.commit()
    flash(_("Uw antwoord is opgeslagen (%(answer)s). U kunt het tot de terugkomdag hier wijzigen.",
            answer=invitation.response_label), "success")
    return redirect_after_post("returndays.detail", return_day_id=return_day.id)


@bp.post("/terugkomdagen/<int:return_day_id>/wijzigen")
@login_required
def update(return_day_id):
    return_day = get_or_404_for(ReturnDay, return_day_id, "returnday.view", "returnday.manage")
    if return_day.status == ReturnDayStatus.CANCELLED:
        abort(409)
    form = ReturnDayForm()
    if not form.validate_on_submit():
        return _detail_page(return_day, form=form, status=422)
    before = return_day.sequence
    decisions.save_return_day(lab=return_day.lab, team=return_day.team, day_number=return_day.day_number,
                              details=_details(form), by=current_user, now=utcnow())
    db.session.commit()
    jobs.sync_soon()
    if return_day.sequence > before and return_day.invitations_sent_at is not None:
        flash(_("De terugkomdag is gewijzigd. De genodigden krijgen een gewijzigde uitnodiging."), "success")
    else:
        flash(_("De terugkomdag is opgeslagen."), "success")
    return redirect_after_post("returndays.detail", return_day_id=return_day.id)


@bp.post("/terugkomdagen/<int:return_day_id>/uitnodigen")
@login_required
def send_now(return_day_id):
    return_day = get_or_404_for(ReturnDay, return_day_id, "returnday.view", "returnday.manage")
    if EmptyForm().validate_on_submit() and return_day.status == ReturnDayStatus.CONFIRMED:
        now = utcnow()
        invitations.sync_invitees(return_day, by=current_user, now=now)
        count = invitations.send_invitations(return_day, now=now)
        db.session.commit()
        flash(ngettext("%(num)s uitnodiging staat klaar in de uitgaande berichten.",
                       "%(num)s uitnodigingen staan klaar in de uitgaande berichten.", count), "success")
    return redirect_after_post("returndays.detail", return_day_id=return_day.id)


@bp.route("/terugkomdagen/<int:return_day_id>/afgelasten", methods=["GET", "POST"])
@login_required
def cancel(return_day_id):
    """A confirmation page with the reason comes first: afgelasten cannot be undone, and the
    invitees read the reason in their cancellation."""
    return_day = get_or_404_for(ReturnDay, return_day_id, "returnday.view", "returnday.manage")
    if return_day.status == ReturnDayStatus.CANCELLED:
        return redirect_after_post("returndays.detail", return_day_id=return_day.id)
    form = ReturnDayCancelForm()
    if not form.validate_on_submit():
        people = [invitation for invitation in return_day.active_invitations if invitation.sent_sequence is not None]
        return render_template("returndays/cancel.html", return_day=return_day, form=form, people=people,
                               local=local), 422 if form.errors else 200
    decisions.cancel_return_day(return_day, reason=form.reason.data, by=current_user, now=utcnow())
    db.session.commit()
    jobs.sync_soon()
    flash(_("De terugkomdag is afgelast. Wie een uitnodiging had, krijgt bericht met de reden."), "success")
    return redirect_after_post("returndays.detail", return_day_id=return_day.id)


@bp.post("/terugkomdagen/<int:return_day_id>/stakeholders")
@login_required
def add_stakeholder(return_day_id):
    return_day = get_or_404_for(ReturnDay, return_day_id, "returnday.view", "returnday.add_stakeholder")
    form = StakeholderForm()
    if form.validate_on_submit():
        try:
            invitations.add_stakeholder(return_day, email=form.email.data, name=form.name.data or "",
                                        by=current_user, now=utcnow())
        except services.ReturnDayError as error:
            form.email.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("%(email)s staat op de lijst van genodigden.", email=form.email.data), "success")
            return redirect_after_post("returndays.detail", return_day_id=return_day.id)
    return _detail_page(return_day, stakeholder_form=form, status=422)


def _invitation_of(return_day: ReturnDay, invitation_id: int) -> Invitation:
    return child_or_404(db.session.get(Invitation, invitation_id), return_day.id, "return_day_id")


@bp.post("/terugkomdagen/<int:return_day_id>/genodigden/<int:invitation_id>/verwijderen")
@login_required
def remove_invitee(return_day_id, invitation_id):
    return_day = get_or_404_for(ReturnDay, return_day_id, "returnday.view", "returnday.manage")
    invitation = _invitation_of(return_day, invitation_id)
    if EmptyForm().validate_on_submit():
        invitations.remove_invitee(invitation, by=current_user, now=utcnow())
        db.session.commit()
        flash(_("%(name)s staat niet meer op de lijst.", name=invitation.display_name), "success")
    return redirect_after_post("returndays.detail", return_day_id=return_day.id)


@bp.post("/terugkomdagen/<int:return_day_id>/genodigden/<int:invitation_id>/opnieuw")
@login_required
def resend(return_day_id, invitation_id):
    return_day = get_or_404_for(ReturnDay, return_day_id, "returnday.view", "returnday.manage")
    invitation = _invitation_of(return_day, invitation_id)
    if EmptyForm().validate_on_submit() and return_day.status == ReturnDayStatus.CONFIRMED \
            and invitation.removed_at is None:
        invitations.send_invitation(invitation, now=utcnow(), resend=True)
        db.session.commit()
        flash(_("De uitnodiging aan %(name)s is opnieuw verstuurd.", name=invitation.display_name), "success")
    return redirect_after_post("returndays.detail", return_day_id=return_day.id)


@bp.get("/terugkomdagen/<int:return_day_id>/aanwezigheid.csv")
@login_required
def attendance_csv(return_day_id):
    return_day = get_or_404_for(ReturnDay, return_day_id, "returnday.view", "returnday.manage")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerows(return_day_pack.attendance_rows(return_day))
    audit.record("returnday_attendance_exported", actor=current_user, obj=return_day, now=utcnow())
    db.session.commit()
    filename = f"aanwezigheid-terugkomdag-{return_day.id}-dag{return_day.day_number}.csv"
    return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/terugkomdagen/<int:return_day_id>/pakket")
@login_required
def pack(return_day_id):
    return_day = get_or_404_for(ReturnDay, return_day_id, "returnday.view")
    return render_template("returndays/pack.html", pack=return_day_pack.gather_pack(return_day, now=utcnow()),
                           return_day=return_day, local=local)


@bp.post("/terugkomdagen/<int:return_day_id>/afspraken")
@login_required
def add_action(return_day_id):
    return_day = get_or_404_for(ReturnDay, return_day_id, "returnday.view", "returnday.manage")
    form = ActionForm()
    if not form.validate_on_submit():
        return _detail_page(return_day, action_form=form, status=422)
    return_day_pack.add_action(return_day, description=form.description.data, owner=None,
                               owner_name=form.owner_name.data, due_on=form.due_on.data, team=None,
                               by=current_user, now=utcnow())
    db.session.commit()
    flash(_("De afspraak is vastgelegd."), "success")
    return redirect_after_post("returndays.detail", return_day_id=return_day.id)


@bp.post("/terugkomdagen/<int:return_day_id>/afspraken/<int:action_id>/klaar")
@login_required
def toggle_action(return_day_id, action_id):
    return_day = get_or_404_for(ReturnDay, return_day_id, "returnday.view", "returnday.manage")
    action = child_or_404(db.session.get(ReturnDayAction, action_id), return_day.id, "return_day_id")
    if EmptyForm().validate_on_submit():
        return_day_pack.set_action_done(action, action.done_at is None, by=current_user, now=utcnow())
        db.session.commit()
    return redirect_after_post("returndays.detail", return_day_id=return_day.id)


# --- RSVP without an account ---------------------------------------------------------------

@bp.route("/antwoord/<int:invitation_id>/<token>", methods=["GET", "POST"])
def rsvp(invitation_id, token):
    now = utcnow()
    try:
        invitation = rsvp_links.invitation_for_rsvp(invitation_id, token, now=now)
    except rsvp_links.RsvpRefused as refused:
        return render_template("returndays/rsvp_refused.html", message=refused.message), refused.status
    form = RsvpForm(data={"response": invitation.response, "remark": invitation.remark})
    if form.validate_on_submit():
        rsvp_links.record_response(invitation, response=form.response.data, remark=form.remark.data or "", now=now)
        db.session.commit()
        flash(_("Dank u wel. Uw antwoord is opgeslagen; u kunt het tot de terugkomdag wijzigen via dezelfde link."),
              "success")
        return redirect_after_post("returndays.rsvp", invitation_id=invitation.id, token=token)
    return_day = invitation.return_day
    return render_template("returndays/rsvp.html", invitation=invitation, return_day=return_day, form=form,
                           starts=local(return_day.starts_at), ends=local(return_day.ends_at)), \
        422 if form.errors else 200


# --- Calendar and feed ----------------------------------------------------------------------

@calendar_bp.get("/agenda")
@login_required
def calendar_page():
    require("calendar.view")
    today = local(utcnow()).date()
    view = "lijst" if request.args.get("weergave") == "lijst" else "maand"
    try:
        year, month = (int(part) for part in request.args.get("maand", "").split("-"))
        first = date(year, month, 1)
    except ValueError:
        first = today.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    if view == "lijst":
        entries = calendar.calendar_entries(current_user, today - timedelta(days=7), today + timedelta(days=365))
        weeks = []
    else:
        weeks_range = calendar.month_weeks(first.year, first.month, [])
        entries = calendar.calendar_entries(current_user, weeks_range[0][0][0], weeks_range[-1][-1][0])
        weeks = calendar.month_weeks(first.year, first.month, entries)
    previous_month = (first - timedelta(days=1)).replace(day=1)
    next_month = last + timedelta(days=1)
    return render_template("returndays/calendar.html", view=view, first=first, weeks=weeks, entries=entries,
                           today=today, previous_month=previous_month, next_month=next_month)


@calendar_bp.route("/agenda/abonnement", methods=["GET", "POST"])
@login_required
def feed_settings():
    form = EmptyForm()
    new_link = None
    if form.validate_on_submit():
        now = utcnow()
        if request.form.get("action") == "revoke":
            calendar.revoke_feed(current_user, now=now)
            db.session.commit()
            flash(_("De agendalink is ingetrokken en werkt niet meer."), "success")
            return redirect_after_post("agenda.feed_settings")
        token = calendar.create_feed(current_user, now=now)
        db.session.commit()
        new_link = external_url("agenda.feed", token=token)
    return render_template("returndays/feed.html", feed=calendar.active_feed(current_user), new_link=new_link,
                           form=EmptyForm())


@calendar_bp.get("/agenda/feed/<token>.ics")
def feed(token):
    subscription = calendar.feed_for_token(token)
    if subscription is None:
        abort(404)
    content = calendar.feed_content(subscription, now=utcnow())
    db.session.commit()
    return Response(content, mimetype="text/calendar", headers={"Cache-Control": "private, max-age=300"})
