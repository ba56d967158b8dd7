"""The 100-day board, the challenge page, weekly progress and the overview of all teams.

Every route: parse → guard (404 when the board is not the user's to see) → service → commit →
render. htmx requests get the fragment, plain form posts a 303 back to the page, both through the
same service. The refresh the other members' browsers make every few seconds answers 204 when
the board's version is unchanged: one indexed query, nothing rendered, answered before Flask by
`shortcuts`, as is a card dragged by a member with a good token.
"""

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_url
from markupsafe import Markup

from fieldlab import fragments
from fieldlab.auth.permissions import can
from fieldlab.auth.routes import require_two_factor, skips_two_factor_gate
from fieldlab.boards import card_changes, refreshing, services, tracking
from fieldlab.boards.feed import feed_lines
from fieldlab.boards.forms import (
    CardForm,
    CardMoveForm,
    ChallengeForm,
    IndicatorForm,
    IndicatorValueForm,
    LeaderForm,
    ProgressUpdateForm,
    StartDateForm,
)
from fieldlab.boards.models import Column, Indicator
from fieldlab.extensions import db, htmx
from fieldlab.formats import format_day, spoken_list
from fieldlab.paging import requested_page
from fieldlab.reads_only import reads_only
from fieldlab.timeutil import local, utcnow
from fieldlab.web import int_arg

bp = Blueprint("boards", __name__)

BOARD_CHANGED = "board-changed"
BOARD_UPDATED = "board-updated"


def _guarded(found, action: str | None):
    """`found` (a Board or BoardState) if the user may see it, else 404 (not even the title
    leaks); 403 when the user may read but not do `action`."""
    if found is None or not can(current_user, "board.view", found.relation):
        abort(404)
    if action and not can(current_user, action, found.relation):
        abort(403)
    return found


def _board_or_404(team_id: int, action: str | None = None) -> services.Board:
    return _guarded(services.load_board(current_user, team_id), action)


def _state_or_404(team_id: int, action: str | None = None) -> refreshing.BoardState:
    """As `_board_or_404`, for routes that need only the access facts and the version."""
    return _guarded(refreshing.board_state(current_user, team_id), action)


def _today():
    return local(utcnow()).date()


def _card_form(board: services.Board, card=None, *, formdata=None, **kwargs) -> CardForm:
    prefix = f"card-{card.id}" if card is not None else "new-card"
    if formdata is None and request.method == "POST":
        formdata = request.form
    form = CardForm(formdata=formdata, obj=card, prefix=prefix, members=board.members, **kwargs)
    if card is not None and formdata is None:
        form.owner.data = card.owner_id
        form.labels.data = ", ".join(card.labels or [])
        form.version.data = card.version
    return form


def _challenge_day(board: services.Board) -> int | None:
    """Today's day of the team's challenge, or None before day 1 or without a start date."""
    return board.challenge.day_on(_today()) if board.challenge is not None else None


def _card_values(form: CardForm) -> dict:
    return {"title": form.title.data, "description": form.description.data or "", "owner_id": form.owner.data,
            "due_day": form.due_day.data, "labels": form.labels.data or "", "quick_win": bool(form.quick_win.data)}


def _columns_html(view: refreshing.ColumnsView):
    """The four columns, rendered once per board version, language and read/edit mode."""
    return fragments.cached((*view.fragment_key, str(get_locale())),
                            lambda: render_template("boards/_columns.html", view=view))


def _activity_html(team_id: int, challenge_id: int | None, version: int, changed_at):
    """The feed, rendered once per board version and language: every event raises the version."""
    key = ("board-activity", team_id, challenge_id, version, changed_at, str(get_locale()))
    return fragments.cached(key, lambda: render_template(
        "boards/_activity.html", lines=feed_lines(services.load_events_of(challenge_id))))


def header_html(board: services.Board, heading: str, today) -> Markup:
    """The challenge header of the board, challenge and progress pages (`boards/_header.html`),
    kept under everything it shows: the Lab's and team's names, the challenge's start, today (the
    day number), the latest status, the page's heading and tab, and the language. A change of any
    of them is a new key, so nothing has to be invalidated. Nothing personal: the same for every
    viewer of the team. Written anew it was a tenth of the board's time."""
    challenge = board.challenge
    key = ("board-header", board.team.id, board.team.name, board.lab_name, challenge is not None,
           challenge.starts_on if challenge is not None else None, today, board.latest_status, heading,
           request.endpoint, str(get_locale()))
    return fragments.cached(key, lambda: render_template("boards/_header.html", board=board, heading=heading,
                                                         today=today))


def _changed(response_body, status: int = 200, *, event: str = BOARD_CHANGED) -> Response:
    """A response that fires `event` in the browser: `board-changed` after this user's change (the
    page refreshes its columns), `board-updated` with fresh columns (the feed follows)."""
    response = Response(response_body, status=status)
    response.headers["HX-Trigger"] = event
    return response


# --- The board ----------------------------------------------------------------------------------

@bp.get("/teams/<int:team_id>/bord")
@reads_only
@login_required
def board(team_id):
    """The page everyone of a team opens most. Its content (header, columns, feed) is the same for
    every reader until the board changes, so it is kept under the board's version and what the
    header shows (`refreshing.BoardPage`): while it is kept the page costs one Core query, and
    the team, its challenge, cards and events are loaded only to render it anew."""
    page = _guarded(refreshing.board_page(current_user, team_id), None)
    editable = can(current_user, "board.edit", page.relation)
    today = _today()
    key = page.content_key(team_id, editable=editable, today=today, language=str(get_locale()))
    content_html = fragments.cached(key, lambda: _board_content(team_id, editable=editable, today=today))
    return render_template("boards/board.html", team_name=page.team_name, content_html=content_html,
                           editable=editable)


def _board_content(team_id: int, *, editable: bool, today) -> str:
    """The page's content as it is now; the columns and the feed come from the fragment store
    when someone has seen them at this version (then neither cards nor events are loaded)."""
    board = _board_or_404(team_id)
    view = refreshing.ColumnsView.of(board, editable)
    activity_html = _activity_html(board.team.id, view.challenge_id, view.version, view.changed_at)
    return render_template("boards/_board_content.html", board=board, view=view, columns_html=_columns_html(view),
                           activity_html=activity_html, editable=editable, today=today)


@bp.get("/teams/<int:team_id>/bord/ververs")
@skips_two_factor_gate
def board_refresh(team_id):
    """What every open board asks every few seconds. The unchanged case (204) is answered before
    Flask by `shortcuts`, in one indexed query; what reaches this route is the rest, or a
    doubt: a changed board, no or another session, a version that is not a number."""
    return _refreshed_columns(team_id, int_arg("versie"))


def _refreshed_columns(team_id: int, version: int | None):
    if not current_user.is_authenticated:
        if htmx:
            abort(401)
        # Someone who opened this address itself logs in and lands on the board, not on a fragment.
        return redirect(login_url("auth.login", next_url=url_for("boards.board", team_id=team_id)))
    gate = require_two_factor()
    if gate is not None:
        return gate
    state = _state_or_404(team_id)
    if version == state.version:
        return Response(status=204)
    view = refreshing.ColumnsView.of_state(team_id, state, can(current_user, "board.edit", state.relation))
    return _changed(_columns_html(view), event=BOARD_UPDATED)


@bp.get("/teams/<int:team_id>/bord/activiteit")
@login_required
def activity(team_id):
    state = _state_or_404(team_id)
    return _activity_html(team_id, state.challenge_id, state.version, state.changed_at)


def _render_add_form(board, form, *, added=None, status=200):
    template = "boards/_card_add_form.html" if htmx else "boards/card_add.html"
    return render_template(template, board=board, add_form=form, added=added), status


@bp.get("/teams/<int:team_id>/bord/kaarten/nieuw")
@login_required
def new_card(team_id):
    """The form to add a card: in place of the board's 'Kaart toevoegen' link (htmx), or on its own
    page. `gesloten=1` answers the link again (the form's 'Sluiten')."""
    board = _board_or_404(team_id, "board.edit")
    if htmx and request.args.get("gesloten"):
        return render_template("boards/_card_add_link.html", board=board)
    services.load_members(board)
    return _render_add_form(board, _card_form(board))


@bp.post("/teams/<int:team_id>/bord/kaarten")
@login_required
def add_card(team_id):
    board = _board_or_404(team_id, "board.edit")
    services.load_members(board)
    form = _card_form(board)
    if form.validate_on_submit() and not form.warn_past_due(today_day=_challenge_day(board)):
        try:
            now = utcnow()
            challenge = services.ensure_challenge(board.team, now=now)
            card = card_changes.add_card(challenge, **_card_values(form), by=current_user, now=now,
                                         submission=form.submission.data)
        except services.BoardError as error:
            db.session.rollback()
            form.title.errors.append(str(error))
        else:
            db.session.commit()
            if htmx:
                fresh = _card_form(board, formdata=None)
                fresh.process(formdata=None)
                response, _status = _render_add_form(board, fresh, added=card)
                return _changed(response)
            flash(_("Kaart ‘%(title)s’ is toegevoegd.", title=card.title), "success")
            return redirect(url_for("boards.board", team_id=team_id, _anchor=f"board-card-{card.id}"), code=303)
    return _render_add_form(board, form, status=422)


@bp.get("/teams/<int:team_id>/bord/kaarten/<int:card_id>")
@login_required
def card(team_id, card_id):
    """One card, read mode (what 'Annuleren' on the inline form swaps back in)."""
    board = _board_or_404(team_id)
    card = services.get_card(board, card_id) or abort(404)
    if not htmx:
        return redirect(url_for("boards.board", team_id=team_id, _anchor=f"board-card-{card.id}"))
    view = refreshing.ColumnsView.of(board, can(current_user, "board.edit", board.relation))
    return render_template("boards/_card.html", card=card, view=view)


@bp.get("/teams/<int:team_id>/bord/kaarten/<int:card_id>/bewerken")
@login_required
def edit_card(team_id, card_id):
    board = _board_or_404(team_id, "board.edit")
    services.load_members(board)
    card = services.get_card(board, card_id) or abort(404)
    form = _card_form(board, card, formdata=None)
    return _render_card_form(board, card, form)


def _render_card_form(board, card, form, *, conflict=None, status=200):
    template = "boards/_card_form.html" if htmx.target == f"board-card-{card.id}" else "boards/card_edit.html"
    return render_template(template, board=board, card=card, form=form, conflict=conflict,
                           view=refreshing.ColumnsView.of(board, True)), status


@bp.post("/teams/<int:team_id>/bord/kaarten/<int:card_id>")
@login_required
def save_card(team_id, card_id):
    board = _board_or_404(team_id, "board.edit")
    services.load_members(board)
    card = services.get_card(board, card_id) or abort(404)
    form = _card_form(board, card, formdata=request.form)
    if not form.validate_on_submit() or form.warn_past_due(today_day=_challenge_day(board),
                                                           previous_due_day=card.due_day):
        return _render_card_form(board, card, form, status=422)
    try:
        card_changes.edit_card(card, expected_version=int(form.version.data or 0), **_card_values(form),
                               by=current_user, now=utcnow())
    except services.StaleCardError:
        db.session.rollback()
        current = services.get_card(board, card_id)
        # The other person's version is shown; this person's text stays in the form, and the form now
        # carries the current version, so saving again deliberately replaces the other version.
        form.version.data = current.version
        return _render_card_form(board, current, form, conflict=current, status=409)
    except services.BoardError as error:
        db.session.rollback()
        form.owner.errors.append(str(error))
        return _render_card_form(board, card, form, status=422)
    db.session.commit()
    if htmx.target == f"board-card-{card.id}":
        view = refreshing.ColumnsView.of(board, True)
        return _changed(render_template("boards/_card.html", card=card, view=view))
    flash(_("Kaart ‘%(title)s’ is opgeslagen.", title=card.title), "success")
    return redirect(url_for("boards.board", team_id=team_id, _anchor=f"board-card-{card.id}"), code=303)


def _move_form(card_id: int, **kwargs) -> CardMoveForm:
    form = CardMoveForm(**kwargs)
    # Plain field names (dragging posts `column` and `position` too), ids unique on the board.
    form.column.id = f"board-move-{card_id}-column"
    form.position.id = f"board-move-{card_id}-position"
    return form


def _render_move_form(team_id: int, card_id: int, *, form=None, status=200):
    board = _board_or_404(team_id, "board.edit")
    card = services.get_card(board, card_id) or abort(404)
    form = form or _move_form(card_id, formdata=None, column=card.column_key)
    inline = htmx.target == f"board-card-{card.id}"
    return render_template("boards/_card_move.html" if inline else "boards/card_move.html",
                           board=board, card=card, form=form), status


@bp.get("/teams/<int:team_id>/bord/kaarten/<int:card_id>/verplaatsen")
@login_required
def move_card_form(team_id, card_id):
    """The keyboard's (and the no-JavaScript) way to move a card: a column and a position."""
    return _render_move_form(team_id, card_id)


@bp.post("/teams/<int:team_id>/bord/kaarten/<int:card_id>/verplaatsen")
@login_required
def move_card(team_id, card_id):
    """From dragging (htmx, nothing to swap), from the inline form (htmx, the card comes back in
    read mode and the refresh puts it in its new place) or from the plain form (303 to the board).
    Dragging is the board's most frequent write: a member's drag with a good token is moved before
    Flask by `shortcuts` (the same move); what reaches this route is the rest, or a doubt."""
    state = _state_or_404(team_id, "board.edit")
    inline = htmx.target == f"board-card-{card_id}"
    dragged = bool(htmx) and not inline
    # A drag renders no form, so its form needs no token of its own: the request's token was
    # checked before the view (CSRFProtect, on every POST). Making one cost a tenth of a move.
    form = _move_form(card_id, meta={"csrf": False}) if dragged else _move_form(card_id)
    if not form.validate_on_submit():
        if dragged:
            services.get_card_of(state.challenge_id, card_id) or abort(404)
            return Response(_("Kies een kolom en een positie (1 of hoger)."), status=422)
        return _render_move_form(team_id, card_id, form=form, status=422)
    position = form.position.data - 1 if form.position.data else None
    moved = card_changes.move_card_on(state.challenge_id, card_id, column=Column(form.column.data), position=position,
                                      by=current_user, now=utcnow()) or abort(404)
    db.session.commit()
    if inline:
        board = _board_or_404(team_id)
        card = services.get_card(board, card_id)
        response = _changed(render_template("boards/_card.html", card=card, view=refreshing.ColumnsView.of(board, True)))
        # Said aloud by the board's live region, as the plain form's flash says it on the next page
        # (JSON with \u escapes: a header carries ASCII only).
        response.headers["HX-Trigger"] = json.dumps({BOARD_CHANGED: None, "board-announce": _(
            "Kaart ‘%(title)s’ staat nu in %(column)s.", title=moved.title, column=moved.column.label)})
        return response
    if htmx:
        return _changed("", status=200)
    flash(_("Kaart ‘%(title)s’ staat nu in %(column)s.", title=moved.title, column=moved.column.label), "success")
    return redirect(url_for("boards.board", team_id=team_id, _anchor=f"board-card-{card_id}"), code=303)


# --- The challenge --------------------------------------------------------------------------------

@bp.route("/teams/<int:team_id>/challenge", methods=["GET", "POST"])
@login_required
def challenge(team_id):
    board = _board_or_404(team_id)
    services.load_members(board)
    editable = can(current_user, "board.edit", board.relation)
    form = ChallengeForm(obj=board.challenge)
    status = 200
    if request.method == "POST":
        if not editable:
            abort(403)
        if form.validate_on_submit():
            now = utcnow()
            challenge = services.ensure_challenge(board.team, now=now)
            services.update_challenge(challenge, goal=form.goal.data, intervention_plan=form.intervention_plan.data,
                                      team_agreement=form.team_agreement.data,
                                      hours_committed=form.hours_committed.data, by=current_user, now=now)
            db.session.commit()
            flash(_("De challenge is opgeslagen."), "success")
            return redirect(url_for("boards.challenge", team_id=team_id), code=303)
        status = 422
    return _render_challenge(board, form=form, status=status)


def _render_challenge(board, *, form=None, start_form=None, leader_form=None, indicator_form=None,
                      value_forms=None, status=200):
    services.load_cards(board)
    editable = can(current_user, "board.edit", board.relation)
    leader = next((membership for membership in board.members if membership.role == "leader"), None)
    indicators = board.challenge.indicators if board.challenge else []
    value_forms = value_forms or {}
    for indicator in indicators:
        value_forms.setdefault(indicator.id, IndicatorValueForm(formdata=None, prefix=f"indicator-{indicator.id}",
                                                                measured_on=_today()))
    work_plan = sorted(board.cards, key=lambda card: (card.due_day or 101, card.id))
    return render_template(
        "boards/challenge.html", board=board, editable=editable, today=_today(), leader=leader,
        form=form or ChallengeForm(formdata=None, obj=board.challenge),
        start_form=start_form or StartDateForm(formdata=None, starts_on=board.challenge.starts_on
                                               if board.challenge else None),
        leader_form=leader_form or LeaderForm(formdata=None, members=board.members,
                                              leader=leader.user_id if leader else None),
        indicator_form=indicator_form or IndicatorForm(formdata=None), indicators=indicators,
        value_forms=value_forms, work_plan=work_plan,
        can_schedule=can(current_user, "challenge.schedule", board.relation),
    ), status


@bp.post("/teams/<int:team_id>/challenge/startdatum")
@login_required
def set_start_date(team_id):
    board = _board_or_404(team_id, "challenge.schedule")
    services.load_members(board)
    form = StartDateForm()
    previous = board.challenge.starts_on if board.challenge else None
    if not form.validate_on_submit() or form.warn_over(today=_today(), previous=previous):
        return _render_challenge(board, start_form=form, status=422)
    now = utcnow()
    challenge = services.ensure_challenge(board.team, now=now)
    services.set_start_date(challenge, form.starts_on.data, by=current_user, now=now)
    review = services.return_days_review_asked(challenge, now=now)
    db.session.commit()
    flash(_("De startdatum is %(date)s.", date=format_day(form.starts_on.data, "long")), "success")
    if review and current_user.id in board.team.lab.facilitator_ids:
        # The facilitator who moved it is the one to re-plan: told so, not that "the facilitator" was asked.
        flash(ngettext("De terugkomdag van dag %(days)s was al vastgelegd en blijft op zijn datum tot u hem opnieuw "
                       "plant onder Terugkomdagen.",
                       "De terugkomdagen van dag %(days)s waren al vastgelegd en blijven op hun datum tot u ze "
                       "opnieuw plant onder Terugkomdagen.", len(review.split(",")), days=spoken_list(review)),
              "warning")
    elif review:
        flash(ngettext("De terugkomdag van dag %(days)s was al vastgelegd; de facilitator is gevraagd hem opnieuw "
                       "te plannen. Tot dan blijft hij op zijn datum.",
                       "De terugkomdagen van dag %(days)s waren al vastgelegd; de facilitator is gevraagd ze opnieuw "
                       "te plannen. Tot dan blijven ze op hun datum.", len(review.split(",")), days=spoken_list(review)),
              "warning")
    return redirect(url_for("boards.challenge", team_id=team_id), code=303)


@bp.post("/teams/<int:team_id>/challenge/teamleider")
@login_required
def choose_leader(team_id):
    board = _board_or_404(team_id, "board.edit")
    services.load_members(board)
    form = LeaderForm(members=board.members)
    if not form.validate_on_submit():
        return _render_challenge(board, leader_form=form, status=422)
    chosen = services.choose_team_leader(board.team, form.leader.data, by=current_user, now=utcnow())
    db.session.commit()
    flash(_("%(name)s is de teamleider.", name=chosen.user.name), "success")
    return redirect(url_for("boards.challenge", team_id=team_id), code=303)


@bp.post("/teams/<int:team_id>/challenge/indicatoren")
@login_required
def add_indicator(team_id):
    board = _board_or_404(team_id, "board.edit")
    services.load_members(board)
    form = IndicatorForm()
    if not form.validate_on_submit():
        return _render_challenge(board, indicator_form=form, status=422)
    now = utcnow()
    challenge = services.ensure_challenge(board.team, now=now)
    indicator = tracking.add_indicator(challenge, name=form.name.data, unit=form.unit.data, baseline=form.baseline.data,
                                       target=form.target.data, by=current_user, now=now)
    db.session.commit()
    flash(_("Indicator ‘%(name)s’ is toegevoegd.", name=indicator.name), "success")
    return redirect(url_for("boards.challenge", team_id=team_id, _anchor="challenge-indicators"), code=303)


@bp.post("/teams/<int:team_id>/challenge/indicatoren/<int:indicator_id>/waarden")
@login_required
def record_value(team_id, indicator_id):
    board = _board_or_404(team_id, "board.edit")
    services.load_members(board)
    indicator = db.session.get(Indicator, indicator_id)
    if indicator is None or board.challenge is None or indicator.challenge_id != board.challenge.id:
        abort(404)
    form = IndicatorValueForm(prefix=f"indicator-{indicator.id}")
    if not form.validate_on_submit():
        return _render_challenge(board, value_forms={indicator.id: form}, status=422)
    tracking.record_indicator_value(indicator, measured_on=form.measured_on.data, value=form.value.data,
                                    by=current_user, now=utcnow())
    db.session.commit()
    flash(_("De waarde voor ‘%(name)s’ is opgeslagen.", name=indicator.name), "success")
    return redirect(url_for("boards.challenge", team_id=team_id, _anchor="challenge-indicators"), code=303)


# --- Progress -------------------------------------------------------------------------------------

@bp.route("/teams/<int:team_id>/voortgang", methods=["GET", "POST"])
@login_required
def progress(team_id):
    board = _board_or_404(team_id)
    editable = can(current_user, "board.edit", board.relation)
    form = ProgressUpdateForm()
    status = 200
    if request.method == "POST":
        if not editable:
            abort(403)
        if form.validate_on_submit():
            now = utcnow()
            challenge = services.ensure_challenge(board.team, now=now)
            tracking.add_progress_update(challenge, status=form.status.data, went_well=form.went_well.data,
                                         stuck=form.stuck.data, help_needed=form.help_needed.data,
                                         hours_spent=form.hours_spent.data, by=current_user, now=now,
                                         submission=form.submission.data)
            db.session.commit()
            flash(_("De voortgangsupdate is opgeslagen."), "success")
            return redirect(url_for("boards.progress", team_id=team_id), code=303)
        status = 422
    services.load_cards(board)
    updates = tracking.progress_updates(board.challenge)
    picture = tracking.progress_picture(board.challenge, board.cards, today=_today())
    return render_template("boards/progress.html", board=board, editable=editable, form=form, updates=updates,
                           hours=tracking.hours_summary(board.challenge, updates), picture=picture,
                           today=_today()), status


@bp.get("/borden")
@login_required
def overview():
    teams = services.overview(current_user, today=_today(), page=requested_page())
    return render_template("boards/overview.html", teams=teams, today=_today())
