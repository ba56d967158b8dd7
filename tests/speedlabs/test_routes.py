"""The pages: who gets in (everyone else: 404), the polling board, forms with and without htmx."""

from datetime import date, timedelta

import pytest
from sqlalchemy import event, select

from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.mail.models import OutboxMessage
from fieldlab.problems.models import Problem
from fieldlab.speedlabs import cards, invitations, links, rounds
from fieldlab.speedlabs.models import InvitationStatus, Phase, SpeedlabSession
from fieldlab.speedlabs.services import SpeedlabError
from fieldlab.timeutil import local, utcnow
from tests import factories
from tests.speedlabs.helpers import add_participant, make_speedlab, run_to


def _running_speedlab(**fields):
    """A speedlab whose rounds run now (the routes use the real clock)."""
    speedlab = make_speedlab(**fields)
    speedlab.starts_at = utcnow() - timedelta(minutes=5)
    speedlab.ends_at = utcnow() + timedelta(hours=2)
    return speedlab


def test_facilitator_creates_a_speedlab_for_a_standalone_question(login_as, client):
    login_as(Role.FACILITATOR)
    response = client.post("/speedlabs/nieuw", data={
        "problem_id": "0", "lab_id": "0", "title": "Witwassen via vastgoed", "question": "Wat kunnen we doen?",
        "owner_name": "Olga", "owner_email": "olga@example.org", "day": "2025-06-02", "starts": "13:00",
        "ends": "15:30", "place": "Den Haag", "seats": "6", "dots": "3",
    })
    assert response.status_code == 303
    speedlab = db.session.scalar(select(SpeedlabSession))
    assert (speedlab.starts_at.hour, speedlab.ends_at.hour) == (11, 13)  # summer time in UTC
    assert speedlab.owner_email == "olga@example.org"
    page = client.get(response.location)
    assert page.status_code == 200
    assert "<h1>Witwassen via vastgoed</h1>" in page.get_data(as_text=True)
    assert "Wat kunnen we doen?" in page.get_data(as_text=True)


def test_creating_with_end_before_start_says_so_in_dutch(login_as, client):
    login_as(Role.FACILITATOR)
    response = client.post("/speedlabs/nieuw", data={
        "problem_id": "0", "lab_id": "0", "title": "T", "question": "V", "owner_name": "O", "day": "2025-06-02",
        "starts": "15:00", "ends": "13:00", "place": "Den Haag", "seats": "6", "dots": "3",
    })
    assert response.status_code == 422
    assert "De eindtijd moet na de begintijd liggen." in response.get_data(as_text=True)
    assert db.session.scalar(select(SpeedlabSession)) is None


def test_prepare_page_suggests_alumni_with_reason_and_invites_them(login_as, client):
    facilitator = login_as(Role.FACILITATOR)
    lab = factories.make_lab(name="Field Lab 2024-2", theme="vastgoed", programme_ends_on=date(2024, 11, 1))
    alumnus = factories.make_user(Role.PARTICIPANT, name="Anna", level="expert", expertise=["financieel onderzoek"])
    factories.add_participant(lab, alumnus)
    speedlab = make_speedlab(facilitator, question="Vastgoed en financieel onderzoek")
    db.session.commit()
    page = client.get(f"/speedlabs/{speedlab.id}").get_data(as_text=True)
    assert "thema vastgoed in Field Lab 2024-2, expertise financieel onderzoek" in page
    response = client.post(f"/speedlabs/{speedlab.id}/alumni", data={"user_ids": [str(alumnus.id)]})
    assert response.status_code == 303
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == alumnus.email)) is not None


@pytest.mark.parametrize("who, board, summary, prepare", [
    ("facilitator", 200, 200, 200),
    ("invited", 200, 404, 404),
    ("accepted", 200, 404, 404),
    ("declined", 404, 404, 404),
    ("waiting", 404, 404, 404),
    ("stranger", 404, 404, 404),
    ("owner", 200, 200, 404),
    ("anonymous", 404, 302, 302),
])
def test_who_gets_into_a_speedlab(app, client, auth, who, board, summary, prepare):
    owner = factories.make_user(Role.COMMISSIONER)
    speedlab = make_speedlab(owner=owner)
    user = {"facilitator": speedlab.facilitator, "owner": owner, "anonymous": None}.get(who)
    if who in {"invited", "accepted", "declined", "waiting"}:
        user = add_participant(speedlab, status=who).user
    elif who == "stranger":
        user = factories.make_user(Role.PARTICIPANT)
    db.session.commit()
    if user is not None:
        auth.login(user)
    assert client.get(f"/speedlabs/{speedlab.id}/bord").status_code == board
    assert client.get(f"/speedlabs/{speedlab.id}/bord/stand").status_code in ({board} | ({200} if board == 200 else set()))
    assert client.get(f"/speedlabs/{speedlab.id}/samenvatting").status_code == summary
    assert client.get(f"/speedlabs/{speedlab.id}").status_code == prepare


def _guest(speedlab, status=InvitationStatus.INVITED):
    invitation = invitations.invite_guest(speedlab, name="Gast", email=f"gast{speedlab.id}@example.org",
                                          by=speedlab.facilitator, now=speedlab.created_at)
    invitation.status = status
    db.session.commit()
    return invitation


def test_a_guest_joins_with_the_signed_link_and_sees_only_that_board(app, client):
    speedlab, other = make_speedlab(), make_speedlab()
    invitation = _guest(speedlab)
    assert client.get(f"/speedlabs/{speedlab.id}/bord").status_code == 404
    response = client.get(f"/speedlabs/deelnemen/{links.make_link_token(invitation, links.JOIN)}")
    assert response.status_code == 200
    assert invitation.status == InvitationStatus.ACCEPTED
    board = client.get(f"/speedlabs/{speedlab.id}/bord")
    assert board.status_code == 200 and f"<h1>{speedlab.title}</h1>" in board.get_data(as_text=True)
    assert client.get(f"/speedlabs/{other.id}/bord").status_code == 404


@pytest.mark.parametrize("refusal", ["forged", "rsvp link", "declined", "waiting", "expired", "deleted"])
def test_join_link_refusals_are_404(app, client, refusal):
    speedlab = make_speedlab()
    status = {"declined": InvitationStatus.DECLINED, "waiting": InvitationStatus.WAITING}.get(refusal, "invited")
    invitation = _guest(speedlab, status=status)
    token = links.make_link_token(invitation, links.RSVP if refusal == "rsvp link" else links.JOIN)
    if refusal == "forged":
        token = token[:-3] + "abc"
    if refusal == "expired":
        app.config["SPEEDLAB_LINK_MAX_AGE"] = timedelta(seconds=-1)
    if refusal == "deleted":
        db.session.delete(invitation)
        db.session.commit()
    assert client.get(f"/speedlabs/deelnemen/{token}").status_code == 404
    assert client.get(f"/speedlabs/{speedlab.id}/bord").status_code == 404


def test_rsvp_no_frees_the_seat_for_the_waiting_list(app, client):
    speedlab = make_speedlab(seats=1)
    first = _guest(speedlab)
    second = invitations.invite_guest(speedlab, name="Tweede", email="tweede@example.org", by=speedlab.facilitator,
                                      now=speedlab.created_at)
    db.session.commit()
    assert second.status == InvitationStatus.WAITING
    token = links.make_link_token(first, links.RSVP)
    before = client.get(f"/speedlabs/antwoord/{token}").get_data(as_text=True)
    assert '<dd id="speedlab-rsvp-status">nog geen antwoord</dd>' in before  # not "uitgenodigd"
    response = client.post(f"/speedlabs/antwoord/{token}", data={"answer": "nee"})
    assert response.status_code == 303
    assert "komt niet" in client.get(response.location).get_data(as_text=True)
    db.session.expire_all()
    assert (first.status, second.status) == (InvitationStatus.DECLINED, InvitationStatus.INVITED)


def test_polling_answers_204_after_one_query_while_nothing_changed(app, client):
    speedlab = _running_speedlab()
    invitation = _guest(speedlab)
    client.get(f"/speedlabs/deelnemen/{links.make_link_token(invitation, links.JOIN)}")
    run_to(speedlab, Phase.IDEAS, now=utcnow())
    db.session.commit()
    first = client.get(f"/speedlabs/{speedlab.id}/bord/stand")
    assert first.status_code == 200
    revision, state = speedlab.revision, speedlab.board_state(utcnow())
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        unchanged = client.get(f"/speedlabs/{speedlab.id}/bord/stand?rev={revision}&state={state}")
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert unchanged.status_code == 204
    assert len(statements) == 1
    rounds.add_idea(speedlab, author=invitation, title="Meldpunt", explanation="Eén loket", now=utcnow())
    db.session.commit()
    changed = client.get(f"/speedlabs/{speedlab.id}/bord/stand?rev={revision}&state={state}")
    assert changed.status_code == 200 and "Meldpunt" in changed.get_data(as_text=True)
    assert 'hx-swap-oob' not in changed.get_data(as_text=True)  # same round: the input form stays


def test_idea_form_refuses_after_the_round_with_a_dutch_message(app, client, auth):
    speedlab = _running_speedlab()
    user = add_participant(speedlab).user
    run_to(speedlab, Phase.IDEAS, now=utcnow())
    db.session.commit()
    auth.login(user)
    token = "a-token-made-when-the-form-was-rendered"
    ok = client.post(f"/speedlabs/{speedlab.id}/ideeen", headers={"HX-Request": "true"},
                     data={"title": "Meldpunt", "explanation": "Eén loket", "submission": token})
    assert ok.status_code == 200 and ok.headers["HX-Trigger"] == "speedlab-changed"
    rounds.stop_round(speedlab, by=speedlab.facilitator, now=utcnow())
    db.session.commit()
    # The same form sent again (a retry after the round closed) is the idea already stored: no refusal.
    again = client.post(f"/speedlabs/{speedlab.id}/ideeen",
                        data={"title": "Meldpunt", "explanation": "Eén loket", "submission": token})
    assert again.status_code == 303
    assert [idea.title for idea in speedlab.ideas] == ["Meldpunt"]
    late = client.post(f"/speedlabs/{speedlab.id}/ideeen", data={"title": "Te laat", "explanation": "Maar wel goed"})
    assert late.status_code == 422
    page = late.get_data(as_text=True)
    assert "De ideeënronde is gesloten" in page
    # The form went with the round; what was typed stays on screen.
    assert "Uw idee is niet opgeslagen. Dit had u getypt:" in page
    assert "Te laat" in page and "Maar wel goed" in page


def test_votes_stay_secret_until_voting_closes(app, client, auth):
    speedlab = _running_speedlab(dots=3)
    alice, bob = add_participant(speedlab), add_participant(speedlab)
    run_to(speedlab, Phase.IDEAS, now=utcnow())
    idea = rounds.add_idea(speedlab, author=alice, title="Meldpunt", explanation="", now=utcnow())
    run_to(speedlab, Phase.VOTING, now=utcnow())
    rounds.set_dots(speedlab, bob, {idea.id: 3}, now=utcnow())
    db.session.commit()
    auth.login(alice.user)
    assert client.post(f"/speedlabs/{speedlab.id}/stippen", data={f"dots-{idea.id}": "2"}).status_code == 303
    page = client.get(f"/speedlabs/{speedlab.id}/bord").get_data(as_text=True)
    assert 'value="2"' in page and "5 stippen" not in page
    too_many = client.post(f"/speedlabs/{speedlab.id}/stippen", data={f"dots-{idea.id}": "4"})
    assert too_many.status_code == 422 and "U heeft 3 stippen" in too_many.get_data(as_text=True)
    # The line above the fields says what is saved (2), not the 4 refused; the error says what to do.
    refused = too_many.get_data(as_text=True)
    assert "verdeeld: 2." in refused and "verdeeld: 4" not in refused and 'value="4"' in refused
    assert "u verdeelde er 4. Haal er 1 weg en sla opnieuw op." in refused
    rounds.stop_round(speedlab, by=speedlab.facilitator, now=utcnow())
    db.session.commit()
    assert "5 stippen" in client.get(f"/speedlabs/{speedlab.id}/bord").get_data(as_text=True)


def test_summary_mail_and_idea_to_draft_vraagstuk(app, client, auth):
    owner = factories.make_user(Role.COMMISSIONER, organisation=factories.make_organisation("Gemeente Tilburg"))
    speedlab = _running_speedlab(owner=owner, context="geheime feiten")
    run_to(speedlab, Phase.IDEAS, now=utcnow())
    idea = rounds.add_idea(speedlab, author=None, title="Vastgoedscan", explanation="Alle panden langs", now=utcnow())
    speedlab.facilitator_notes = "Goede energie."
    db.session.commit()
    auth.login(speedlab.facilitator)
    assert client.post(f"/speedlabs/{speedlab.id}/samenvatting/mailen").status_code == 303
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == owner.email)
                                 .order_by(OutboxMessage.id)).all()[-1]
    assert "Vastgoedscan" in message.body_text and "Goede energie." in message.body_text
    assert "geheime feiten" not in message.body_text
    assert client.post(f"/speedlabs/{speedlab.id}/ideeen/{idea.id}/vraagstuk").status_code == 303
    problem = db.session.scalar(select(Problem).where(Problem.title == "Vastgoedscan"))
    assert (problem.status, problem.commissioner_id, problem.organisation.name) == ("draft", owner.id, "Gemeente Tilburg")
    assert client.post(f"/speedlabs/{speedlab.id}/ideeen/{idea.id}/vraagstuk").status_code == 409
    summary = client.get(f"/speedlabs/{speedlab.id}/samenvatting").get_data(as_text=True)
    assert "Vraagstuk gemaakt: Vastgoedscan" in summary


def test_the_summary_names_who_took_part_not_everyone_invited(app, client, auth):
    """Someone invited who never answered nor joined was listed as a participant in the summary
    that goes to the problem owner."""
    speedlab = _running_speedlab()
    coming = add_participant(speedlab, factories.make_user(Role.PARTICIPANT, name="Koen Komt"))
    writer = add_participant(speedlab, factories.make_user(Role.PARTICIPANT, name="Sara Schrijft"),
                             status=InvitationStatus.INVITED)
    add_participant(speedlab, factories.make_user(Role.PARTICIPANT, name="Marieke Hendriks"),
                    status=InvitationStatus.INVITED)
    run_to(speedlab, Phase.IDEAS, now=utcnow())
    rounds.add_idea(speedlab, author=writer, title="Huurders informeren", explanation="", now=utcnow())
    db.session.commit()
    auth.login(speedlab.facilitator)
    summary = client.get(f"/speedlabs/{speedlab.id}/samenvatting").get_data(as_text=True)
    listed = summary.split('id="speedlab-participants"')[1].split("</ul>")[0]
    assert "Koen Komt" in listed and "Sara Schrijft" in listed and "Marieke Hendriks" not in listed
    assert [invitation.id for invitation in rounds.took_part(speedlab)] == [coming.id, writer.id]


def test_facilitator_puts_an_idea_on_a_teams_board(app, client, auth):

    from fieldlab.boards.models import BoardCard, BoardEvent
    from fieldlab.teams.models import TeamRole

    speedlab = _running_speedlab()
    run_to(speedlab, Phase.IDEAS, now=utcnow())
    idea = rounds.add_idea(speedlab, author=None, title="Huurders informeren", explanation="Via de wijkteams",
                           now=utcnow())
    leader, member = factories.make_user(Role.PARTICIPANT), factories.make_user(Role.PARTICIPANT)
    today = local(utcnow()).date()
    team = factories.make_team(factories.make_lab(), members=[member, leader], name="Team Baken",
                               starts_on=today - timedelta(days=20))
    next(m for m in team.memberships if m.user_id == leader.id).role = TeamRole.LEADER
    no_board = factories.make_team(factories.make_lab(), members=[member], name="Team Zonder Bord")
    # Day 100 was yesterday: last year's teams, say, no longer work on their boards.
    finished = factories.make_team(factories.make_lab(), members=[member], name="Team Afgerond",
                                   starts_on=today - timedelta(days=100))
    db.session.commit()
    auth.login(speedlab.facilitator)

    summary = client.get(f"/speedlabs/{speedlab.id}/samenvatting").get_data(as_text=True)
    assert "Team Baken" in summary and "Team Afgerond" not in summary
    for other in (no_board, finished):
        refused = client.post(f"/speedlabs/{speedlab.id}/ideeen/{idea.id}/kaart", data={"team_id": other.id},
                              follow_redirects=True)
        assert "Kies een team met een bord." in refused.get_data(as_text=True)
    assert db.session.scalar(select(BoardCard).where(BoardCard.title == "Huurders informeren")) is None

    response = client.post(f"/speedlabs/{speedlab.id}/ideeen/{idea.id}/kaart", data={"team_id": team.id})
    assert response.status_code == 303
    card = db.session.scalar(select(BoardCard).where(BoardCard.title == "Huurders informeren"))
    assert (card.challenge_id, card.owner_id, card.column_key) == (team.challenge.id, leader.id, "planned")
    assert "Via de wijkteams" in card.description
    assert db.session.scalar(select(BoardEvent).where(BoardEvent.card_id == card.id)) is not None

    # The summary says where the idea is, and offers no second card on the same board.
    summary = client.get(f"/speedlabs/{speedlab.id}/samenvatting").get_data(as_text=True)
    assert "Staat op het bord van: Team Baken" in summary
    assert f'<option value="{team.id}">' not in summary
    again = client.post(f"/speedlabs/{speedlab.id}/ideeen/{idea.id}/kaart", data={"team_id": team.id},
                        follow_redirects=True)
    assert "‘Huurders informeren’ staat al op het bord van Team Baken." in again.get_data(as_text=True)
    cards = db.session.scalars(select(BoardCard).where(BoardCard.title == "Huurders informeren")).all()
    assert len(cards) == 1


def test_the_database_refuses_a_second_link_of_one_idea_to_one_board(app):
    """Two facilitators at once: the check before the insert cannot see the other's row, the
    unique constraint can."""
    from sqlalchemy.exc import IntegrityError

    from fieldlab.speedlabs.models import IdeaCard

    speedlab = _running_speedlab()
    run_to(speedlab, Phase.IDEAS, now=utcnow())
    idea = rounds.add_idea(speedlab, author=None, title="Idee", explanation="", now=utcnow())
    member = factories.make_user(Role.PARTICIPANT)
    team = factories.make_team(factories.make_lab(), members=[member],
                               starts_on=local(utcnow()).date() - timedelta(days=20))
    card = cards.idea_to_board_card(idea, team, by=speedlab.facilitator, now=utcnow())
    # An idea without an explanation ends its card's text with a full stop, not a colon.
    assert card.description == "Idee uit speedlab 'Speedlab vastgoed'."
    db.session.add(IdeaCard(idea_id=idea.id, challenge_id=team.challenge.id, card_id=card.id, created_at=utcnow()))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_only_facilitators_put_ideas_on_boards(app, client, auth):
    speedlab = _running_speedlab()
    run_to(speedlab, Phase.IDEAS, now=utcnow())
    idea = rounds.add_idea(speedlab, author=None, title="Idee", explanation="", now=utcnow())
    participant = add_participant(speedlab).user
    db.session.commit()
    auth.login(participant)
    assert client.post(f"/speedlabs/{speedlab.id}/ideeen/{idea.id}/kaart", data={"team_id": 1}).status_code == 404


def test_an_idea_is_not_put_on_the_board_of_a_team_whose_100_days_are_over(app):
    speedlab = _running_speedlab()
    run_to(speedlab, Phase.IDEAS, now=utcnow())
    idea = rounds.add_idea(speedlab, author=None, title="Idee", explanation="", now=utcnow())
    team = factories.make_team(factories.make_lab(), members=[factories.make_user(Role.PARTICIPANT)],
                               name="Team Duin", starts_on=local(utcnow()).date() - timedelta(days=100))
    with pytest.raises(SpeedlabError, match="De 100 dagen van Team Duin zijn voorbij"):
        cards.idea_to_board_card(idea, team, by=speedlab.facilitator, now=utcnow())
