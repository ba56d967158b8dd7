"""Signal pages: the facilitators' overview, a new draft (from a team or from scratch), the
signal page with its criteria, history and next step, the Loket's steps, the representative's
confirmation (account or signed link), the indieners' effect answer (signed link), and the
Word and PDF exports."""

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from fieldlab import links
from fieldlab.access import get_or_404_for, require
from fieldlab.audit import services as audit
from fieldlab.auth.permissions import can
from fieldlab.extensions import db
from fieldlab.forms import EmptyForm
from fieldlab.labs.models import Lab, LabFacilitator
from fieldlab.organisations.services import public_organisation_choices
from fieldlab.signals import export, services
from fieldlab.signals.criteria import check_criteria, draft_gaps
from fieldlab.signals.forms import (
    ConsultationForm,
    DateStepForm,
    EffectForm,
    LoketAdviceForm,
    ReactionForm,
    SignalDraftForm,
)
from fieldlab.signals.models import Signal, SignalStatus
from fieldlab.signals.statemachine import TransitionError, allowed
from fieldlab.teams.models import Team
from fieldlab.timeutil import utcnow
from fieldlab.web import int_arg, redirect_after_post

bp = Blueprint("signals", __name__, url_prefix="/signalen")


@bp.get("/")
@login_required
def index():
    require("signals.overview")
    status = request.args.get("status") or None
    if status not in {None, *SignalStatus}:
        status = None
    rows = services.overview(current_user, now=utcnow(), status=status)
    return render_template("signals/index.html", rows=rows, status=status, statuses=list(SignalStatus))


def _lab_choices(user) -> list[tuple[int, str]]:
    """The Labs a facilitator facilitates: a draft is seen by its own Lab's facilitators only."""
    own = db.select(LabFacilitator.lab_id).where(LabFacilitator.user_id == user.id)
    return [(lab.id, lab.name) for lab in db.session.scalars(db.select(Lab).where(Lab.id.in_(own)).order_by(Lab.name))]


@bp.route("/nieuw", methods=["GET", "POST"])
@login_required
def new():
    team_id = int_arg("team")
    team = db.session.get(Team, team_id) if team_id else None
    if team_id and (team is None or not can(current_user, "signal.create_for_team", team)):
        abort(404)
    if team is None:
        require("signals.create")
    labs = None if team is not None else _lab_choices(current_user)
    prefill = services.prefill_from_team(team) if team is not None and request.method == "GET" else {}
    form = SignalDraftForm(organisations=public_organisation_choices(), labs=labs, data=prefill)
    if form.validate_on_submit():
        lab = team.lab if team is not None else db.session.get(Lab, form.lab_id.data)
        if lab is None:
            form.lab_id.errors = [_("Kies een Lab.")]
        else:
            signal = services.create_signal(lab=lab, team=team, by=current_user, now=utcnow(), **form.values())
            db.session.commit()
            flash(_("Het concept is opgeslagen."), "success")
            return redirect_after_post("signals.detail", signal_id=signal.id)
    status = 422 if form.errors or request.method == "POST" else 200
    earlier = services.team_signals(team) if team is not None else []
    return render_template("signals/form.html", form=form, signal=None, team=team, earlier=earlier), status


@bp.route("/<int:signal_id>/bewerken", methods=["GET", "POST"])
@login_required
def edit(signal_id):
    signal = get_or_404_for(Signal, signal_id, "signal.view", "signal.edit")
    data = None
    if request.method == "GET":
        data = {name: getattr(signal, name) for name in services.DRAFT_FIELDS}
        data["ministries"] = "\n".join(signal.ministries or [])
        data["submitter_ids"] = [organisation.id for organisation in signal.submitters]
    # A draft written before only public organisations were offered keeps its other indieners.
    choices = public_organisation_choices()
    offered = {organisation_id for organisation_id, _name in choices}
    choices = choices + [(organisation.id, organisation.name) for organisation in signal.submitters
                         if organisation.id not in offered]
    form = SignalDraftForm(organisations=choices, data=data)
    if form.validate_on_submit():
        services.update_draft(signal, by=current_user, now=utcnow(), **form.values())
        db.session.commit()
        flash(_("Het concept is opgeslagen."), "success")
        return redirect_after_post("signals.detail", signal_id=signal.id)
    return render_template("signals/form.html", form=form, signal=signal, team=signal.team), \
        422 if request.method == "POST" else 200


def _detail(signal: Signal, *, status: int = 200, forms: dict | None = None, errors: list | None = None):
    forms = forms or {}
    context = dict(
        signal=signal, criteria=check_criteria(signal), gaps=draft_gaps(signal), errors=errors or [],
        next_statuses=allowed(signal.status), waiting_on=services.waiting_on(signal),
        steps=services.steps_of(signal),
        advice_form=forms.get("advice") or LoketAdviceForm(formdata=None),
        consultation_form=forms.get("consultation") or ConsultationForm(formdata=None),
        offer_form=forms.get("offer") or DateStepForm(formdata=None, prefix="offer"),
        reaction_form=forms.get("reaction") or ReactionForm(formdata=None),
        closed_form=forms.get("closed") or DateStepForm(formdata=None, prefix="closed"),
        can_edit=can(current_user, "signal.edit", signal), can_advance=can(current_user, "signal.advance", signal),
        can_confirm=can(current_user, "signal.confirm", signal),
    )
    return render_template("signals/detail.html", **context), status


@bp.get("/<int:signal_id>")
@login_required
def detail(signal_id):
    return _detail(get_or_404_for(Signal, signal_id, "signal.view"))


def _step_failed(signal: Signal, error, forms: dict):
    """A refused step: the page again with the reasons next to the form, nothing saved."""
    db.session.rollback()
    db.session.refresh(signal)
    if isinstance(error, services.SignalError):
        form = next(iter(forms.values()))
        form[error.field].errors = [*form[error.field].errors, str(error.message)]
        return _detail(signal, status=422, forms=forms)
    return _detail(signal, status=422, forms=forms, errors=[str(reason) for reason in error.reasons])


@bp.post("/<int:signal_id>/advies-aanvragen")
@login_required
def ask_advice(signal_id):
    signal = get_or_404_for(Signal, signal_id, "signal.view", "signal.edit")
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.ask_loket_advice(signal, by=current_user, now=utcnow())
    except TransitionError as error:
        return _step_failed(signal, error, {})
    db.session.commit()
    flash(_("Het concept ligt nu bij het Loket voor advies."), "success")
    return redirect_after_post("signals.detail", signal_id=signal.id)


@bp.post("/<int:signal_id>/advies")
@login_required
def record_advice(signal_id):
    signal = get_or_404_for(Signal, signal_id, "signal.view", "signal.advance")
    form = LoketAdviceForm()
    if not form.validate_on_submit():
        return _detail(signal, status=422, forms={"advice": form})
    try:
        services.record_loket_advice(signal, advice=form.advice.data, fits=form.fits.data == "yes",
                                     by=current_user, now=utcnow())
    except (services.SignalError, TransitionError) as error:
        return _step_failed(signal, error, {"advice": form})
    db.session.commit()
    flash(_("Het advies van het Loket is vastgelegd."), "success")
    return redirect_after_post("signals.detail", signal_id=signal.id)


@bp.post("/<int:signal_id>/toetsingsoverleg")
@login_required
def record_consultation(signal_id):
    signal = get_or_404_for(Signal, signal_id, "signal.view", "signal.advance")
    form = ConsultationForm()
    if not form.validate_on_submit():
        return _detail(signal, status=422, forms={"consultation": form})
    try:
        services.record_consultation(signal, on=form.on.data, outcome=form.outcome.data, notes=form.notes.data,
                                     by=current_user, now=utcnow())
    except (services.SignalError, TransitionError) as error:
        return _step_failed(signal, error, {"consultation": form})
    db.session.commit()
    if signal.confirmation_requested_at is not None:
        flash(_("%(name)s krijgt een e-mail om het signaal definitief in te dienen.",
                name=signal.representative_name), "success")
    return redirect_after_post("signals.detail", signal_id=signal.id)


@bp.post("/<int:signal_id>/bevestiging-opnieuw")
@login_required
def resend_confirmation(signal_id):
    signal = get_or_404_for(Signal, signal_id, "signal.view", "signal.advance")
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.request_confirmation(signal, now=utcnow(), again=True)
    except TransitionError as error:
        return _step_failed(signal, error, {})
    db.session.commit()
    flash(_("%(name)s krijgt een e-mail om het signaal definitief in te dienen.",
            name=signal.representative_name), "success")
    return redirect_after_post("signals.detail", signal_id=signal.id)


@bp.post("/<int:signal_id>/bevestigen")
@login_required
def confirm(signal_id):
    signal = get_or_404_for(Signal, signal_id, "signal.view", "signal.confirm")
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.confirm_submission(signal, by=current_user, now=utcnow())
    except TransitionError as error:
        return _step_failed(signal, error, {})
    db.session.commit()
    if can(current_user, "signal.view", signal):
        flash(_("Het signaal is definitief ingediend."), "success")
        return redirect_after_post("signals.detail", signal_id=signal.id)
    # A submitted signal is the facilitators' to follow: the representative who submitted it
    # may not open it any more, so they are told here, on their home page, not by a 404.
    flash(_("Het signaal is definitief ingediend. Het Loket biedt het aan de bewindspersonen aan; "
            "de facilitatoren van het Lab volgen het verder."), "success")
    return redirect_after_post("home.index")


@bp.route("/bevestigen/<token>", methods=["GET", "POST"])
def confirm_by_link(token):
    try:
        signal = services.signal_for_confirmation(token)
    except links.LinkError:
        return render_template("signals/link_invalid.html"), 404
    form = EmptyForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.confirm_submission(signal, by=None, now=utcnow())
        except TransitionError as error:
            db.session.rollback()
            return render_template("signals/confirm.html", signal=signal, form=form, token=token,
                                   errors=[str(reason) for reason in error.reasons]), 409
        db.session.commit()
        return render_template("signals/confirm.html", signal=signal, form=form, token=token, done=True)
    return render_template("signals/confirm.html", signal=signal, form=form, token=token,
                           done=signal.status != SignalStatus.CONSULTATION)


@bp.post("/<int:signal_id>/aangeboden")
@login_required
def record_offer(signal_id):
    signal = get_or_404_for(Signal, signal_id, "signal.view", "signal.advance")
    form = DateStepForm(prefix="offer")
    if not form.validate_on_submit():
        return _detail(signal, status=422, forms={"offer": form})
    try:
        services.record_offer(signal, on=form.on.data, by=current_user, now=utcnow())
    except (services.SignalError, TransitionError) as error:
        return _step_failed(signal, error, {"offer": form})
    db.session.commit()
    flash(_("Vastgelegd: het signaal is aangeboden aan de bewindspersonen."), "success")
    return redirect_after_post("signals.detail", signal_id=signal.id)


@bp.post("/<int:signal_id>/reactie")
@login_required
def record_reaction(signal_id):
    signal = get_or_404_for(Signal, signal_id, "signal.view", "signal.advance")
    form = ReactionForm()
    if not form.validate_on_submit():
        return _detail(signal, status=422, forms={"reaction": form})
    try:
        services.record_reaction(signal, on=form.on.data, text=form.text.data, reference=form.reference.data,
                                 by=current_user, now=utcnow())
    except (services.SignalError, TransitionError) as error:
        return _step_failed(signal, error, {"reaction": form})
    db.session.commit()
    flash(_("De reactie van de bewindspersonen is vastgelegd."), "success")
    return redirect_after_post("signals.detail", signal_id=signal.id)


@bp.post("/<int:signal_id>/afgerond")
@login_required
def record_closed(signal_id):
    signal = get_or_404_for(Signal, signal_id, "signal.view", "signal.advance")
    form = DateStepForm(prefix="closed")
    if not form.validate_on_submit():
        return _detail(signal, status=422, forms={"closed": form})
    try:
        services.record_closed(signal, on=form.on.data, by=current_user, now=utcnow())
    except (services.SignalError, TransitionError) as error:
        return _step_failed(signal, error, {"closed": form})
    db.session.commit()
    flash(_("Het signaal is afgerond."), "success")
    return redirect_after_post("signals.detail", signal_id=signal.id)


@bp.route("/effect/<token>", methods=["GET", "POST"])
def effect_by_link(token):
    try:
        signal, email = services.signal_for_effect(token)
    except links.LinkError:
        return render_template("signals/link_invalid.html"), 404
    form = EffectForm()
    if form.validate_on_submit():
        try:
            services.record_effect(signal, answer=form.answer.data, email=email, now=utcnow())
        except (services.SignalError, TransitionError) as error:
            db.session.rollback()
            message = error.message if isinstance(error, services.SignalError) else "; ".join(map(str, error.reasons))
            form.answer.errors = [*form.answer.errors, str(message)]
        else:
            db.session.commit()
            return render_template("signals/effect.html", form=form, token=token, done=True)
    return render_template("signals/effect.html", form=form, token=token, done=False), \
        422 if form.errors else 200


@bp.get("/<int:signal_id>/export.docx")
@login_required
def export_docx(signal_id):
    signal = get_or_404_for(Signal, signal_id, "signal.view")
    audit.record("signal_exported", actor=current_user, obj=signal, now=utcnow(), format="docx")
    db.session.commit()
    return export.docx_response(signal)


@bp.get("/<int:signal_id>/export.pdf")
@login_required
def export_pdf(signal_id):
    signal = get_or_404_for(Signal, signal_id, "signal.view")
    audit.record("signal_exported", actor=current_user, obj=signal, now=utcnow(), format="pdf")
    db.session.commit()
    return export.pdf_response(signal, base_url=url_for("home.index", _external=True))
