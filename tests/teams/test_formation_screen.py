"""The team formation screen: suggest, move (plain form and htmx), stale moves, pins, settings, confirm."""

import pytest
from sqlalchemy import func, select

from fieldlab.audit.models import AuditEvent
from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.labs.models import LabKind
from fieldlab.mail.models import OutboxMessage
from fieldlab.teams import services
from fieldlab.teams.models import DraftPlacement, Membership, TeamDraft
from tests import factories
from tests.conftest import Auth

HTMX = {"HX-Request": "true", "HX-Target": "teams-workspace"}


def url(lab, action=""):
    return f"/labs/{lab.id}/teams/{action}"


def draft_of(lab) -> TeamDraft:
    db.session.expire_all()
    return db.session.scalar(select(TeamDraft).where(TeamDraft.lab_id == lab.id))


def placement(lab, user) -> DraftPlacement:
    return next(p for p in draft_of(lab).placements if p.user_id == user.id)


@pytest.fixture
def proposed(login_as, client, lab_with_participants):
    """A facilitator is logged in and has pressed 'Stel teams voor' for a Lab of 12."""
    facilitator = login_as(Role.FACILITATOR, name="Fenna Facilitator")
    lab, people, teams = lab_with_participants()
    db.session.commit()
    response = client.post(url(lab, "voorstel"), data={"version": ""})
    assert response.status_code == 303
    return facilitator, lab, people, teams


def test_facilitator_sees_the_button_and_no_draft_yet(login_as, client, lab_with_participants):
    login_as(Role.FACILITATOR)
    lab, _, _ = lab_with_participants()
    db.session.commit()
    page = client.get(url(lab)).get_data(as_text=True)
    assert "Stel teams voor" in page
    assert "Bevestig de teams" not in page


def test_suggestion_places_everyone_in_balanced_teams_with_scores_and_warnings(proposed, client):
    _, lab, people, teams = proposed
    draft = draft_of(lab)
    placed = {p.user_id: p.team_id for p in draft.placements}
    assert set(placed) == {person.id for person in people}
    sizes = sorted(list(placed.values()).count(team.id) for team in teams)
    assert sizes == [4, 4, 4]
    page = client.get(url(lab)).get_data(as_text=True)
    assert "Totaalscore" in page
    assert "Vraagstuk: Vraagstuk A" in page
    assert "heeft geen private partner" in page  # only two people from the one private organisation


def test_move_by_plain_form_redirects_and_updates_the_draft(proposed, client):
    _, lab, people, teams = proposed
    person = people[0]
    before = placement(lab, person).team_id
    target = next(team for team in teams if team.id != before)
    version = draft_of(lab).version
    response = client.post(url(lab, "verplaats"), data={"user_id": person.id, "team_id": target.id,
                                                        "version": version})
    assert response.status_code == 303
    assert placement(lab, person).team_id == target.id
    assert draft_of(lab).version == version + 1


def test_move_by_htmx_returns_the_workspace_with_new_scores_and_version(proposed, client):
    _, lab, people, teams = proposed
    person = people[1]
    target = next(team for team in teams if team.id != placement(lab, person).team_id)
    version = draft_of(lab).version
    response = client.post(url(lab, "verplaats"), headers=HTMX,
                           data={"user_id": person.id, "team_id": target.id, "version": version})
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith("<div id=\"teams-workspace\"")
    assert f'name="version" value="{version + 1}"' in fragment
    assert "telt 5 deelnemers" in fragment  # the move unbalanced the sizes: said so, not hidden


def test_stale_move_of_a_second_facilitator_is_refused_in_dutch(proposed, client, app):
    _, lab, people, teams = proposed
    version = draft_of(lab).version
    first, second = people[2], people[3]
    target_first = next(team for team in teams if team.id != placement(lab, first).team_id)
    second_before = placement(lab, second).team_id
    target_second = next(team for team in teams if team.id != second_before)

    # Another facilitator, in another browser, moves someone first.
    other_client = app.test_client()
    other = factories.make_user(Role.FACILITATOR)
    db.session.commit()
    Auth(other_client).login(other)
    assert other_client.post(url(lab, "verplaats"), data={"user_id": first.id, "team_id": target_first.id,
                                                          "version": version}).status_code == 303

    response = client.post(url(lab, "verplaats"), headers=HTMX,
                           data={"user_id": second.id, "team_id": target_second.id, "version": version})
    assert response.status_code == 409
    assert "Een andere facilitator heeft de indeling intussen gewijzigd" in response.get_data(as_text=True)
    assert placement(lab, second).team_id == second_before
    assert placement(lab, first).team_id == target_first.id


def test_pinned_person_stays_when_the_rest_is_suggested_again(proposed, client):
    _, lab, people, teams = proposed
    person = people[4]
    target = next(team for team in teams if team.id != placement(lab, person).team_id)
    client.post(url(lab, "verplaats"), data={"user_id": person.id, "team_id": target.id,
                                             "version": draft_of(lab).version})
    response = client.post(url(lab, "vastzetten"), headers=HTMX,
                           data={"user_id": person.id, "pinned": "1", "version": draft_of(lab).version})
    assert response.status_code == 200
    assert "Losmaken" in response.get_data(as_text=True)
    for _ in range(3):
        assert client.post(url(lab, "voorstel"), data={"version": draft_of(lab).version}).status_code == 303
        assert placement(lab, person).team_id == target.id
        assert placement(lab, person).pinned


def test_weights_and_target_sizes_are_saved_and_used(proposed, client):
    _, lab, people, teams = proposed
    data = {"weight_coverage": "5", "weight_organisations": "1", "weight_levels": "1", "weight_sectors": "0",
            "weight_weakest": "2", f"size_{teams[0].id}": "6", f"size_{teams[1].id}": "3",
            f"size_{teams[2].id}": "3", "version": draft_of(lab).version}
    assert client.post(url(lab, "instellingen"), data=data).status_code == 303
    draft = draft_of(lab)
    assert draft.weights["coverage"] == 5.0
    assert draft.target_sizes == {str(teams[0].id): 6, str(teams[1].id): 3, str(teams[2].id): 3}
    client.post(url(lab, "voorstel"), data={"version": draft.version})
    placed = [p.team_id for p in draft_of(lab).placements]
    assert [placed.count(team.id) for team in teams] == [6, 3, 3]


def test_invalid_weights_are_shown_next_to_the_field_and_nothing_is_saved(proposed, client):
    _, lab, _, _ = proposed
    data = {"weight_coverage": "11", "weight_organisations": "x", "weight_levels": "1", "weight_sectors": "0",
            "weight_weakest": "1", "version": draft_of(lab).version}
    response = client.post(url(lab, "instellingen"), data=data)
    assert response.status_code == 422
    assert "Kies 0 tot en met 10." in response.get_data(as_text=True)
    assert draft_of(lab).weights == {}


def test_a_weight_that_is_not_a_number_is_refused_not_stored(proposed, client):
    """float() accepts 'nan' and 'inf', and NaN slips past 0 <= w <= 10."""
    _, lab, _, _ = proposed
    for weight in ("nan", "inf"):
        data = {"weight_coverage": weight, "weight_organisations": "1", "weight_levels": "1", "weight_sectors": "0",
                "weight_weakest": "1", "version": draft_of(lab).version}
        response = client.post(url(lab, "instellingen"), data=data)
        assert response.status_code == 422
        assert "Vul een getal in." in response.get_data(as_text=True)
        assert draft_of(lab).weights == {}


def test_apart_rule_is_kept_by_the_next_suggestion(proposed, client):
    _, lab, people, _ = proposed
    a, b = people[0], people[6]
    response = client.post(url(lab, "regels"), data={"first_user_id": a.id, "second_user_id": b.id,
                                                     "kind": "apart", "version": draft_of(lab).version})
    assert response.status_code == 303
    client.post(url(lab, "voorstel"), data={"version": draft_of(lab).version})
    assert placement(lab, a).team_id != placement(lab, b).team_id


def test_confirm_creates_memberships_mails_each_member_once_and_logs_who(proposed, client):
    facilitator, lab, people, teams = proposed
    response = client.post(url(lab, "bevestigen"), data={"version": draft_of(lab).version})
    assert response.status_code == 303
    memberships = db.session.scalars(select(Membership)).all()
    assert {(m.team_id, m.user_id) for m in memberships} == {(p.team_id, p.user_id)
                                                             for p in draft_of(lab).placements}
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert sorted(m.recipient for m in messages) == sorted(person.email for person in people)
    assert all(m.idempotency_key.startswith(f"teams:lab{lab.id}:") for m in messages)
    assert "U zit in Team" in messages[0].body_text
    assert "Vraagstuk" not in messages[0].body_text  # no case content in e-mail
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "teams_formed"))
    assert event.actor_id == facilitator.id and event.object_id == lab.id
    assert "De teams zijn bevestigd" in client.get(url(lab)).get_data(as_text=True)


def test_confirming_the_same_version_twice_sends_nothing_twice(proposed, client):
    _, lab, people, _ = proposed
    version = draft_of(lab).version
    assert client.post(url(lab, "bevestigen"), data={"version": version}).status_code == 303
    assert client.post(url(lab, "bevestigen"), data={"version": version}).status_code == 409
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == len(people)


def test_confirm_with_someone_unplaced_is_refused(proposed, client):
    _, lab, people, _ = proposed
    client.post(url(lab, "verplaats"), data={"user_id": people[0].id, "team_id": "",
                                             "version": draft_of(lab).version})
    response = client.post(url(lab, "bevestigen"), data={"version": draft_of(lab).version})
    assert response.status_code == 422
    assert "Nog niet iedereen zit in een team" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 0


def test_facilitator_creates_the_teams_of_a_lab_without_teams(login_as, client, lab_with_participants):
    login_as(Role.FACILITATOR)
    lab, _, _ = lab_with_participants(teams=0)
    db.session.commit()
    page = client.get(url(lab)).get_data(as_text=True)
    assert "Dit Lab heeft nog geen teams" in page
    problem = lab.problems[0]
    response = client.post(url(lab, "nieuw"), data={"name": "Team Lovitura", "problem_id": problem.id})
    assert response.status_code == 303
    db.session.expire_all()
    assert [(team.name, team.problem_id) for team in lab.teams] == [("Team Lovitura", problem.id)]
    duplicate = client.post(url(lab, "nieuw"), data={"name": "team lovitura", "problem_id": 0})
    assert duplicate.status_code == 422
    assert "al een team met deze naam" in duplicate.get_data(as_text=True)


def test_individual_lab_says_it_needs_no_teams(login_as, client, lab_with_participants):
    login_as(Role.FACILITATOR)
    lab, _, _ = lab_with_participants(kind=LabKind.INDIVIDUAL, teams=0)
    db.session.commit()
    page = client.get(url(lab)).get_data(as_text=True)
    assert "hoeft u geen teams samen te stellen" in page
    assert "Stel teams voor" not in page


def test_services_refuse_a_stale_version_directly(app, lab_with_participants):
    facilitator = factories.make_user(Role.FACILITATOR)
    lab, people, teams = lab_with_participants()
    draft = services.propose(lab, by=facilitator, expected_version=None)
    version = draft.version
    services.move(lab, user_id=people[0].id, team_id=teams[0].id, expected_version=version, by=facilitator)
    with pytest.raises(services.StaleDraftError):
        services.move(lab, user_id=people[1].id, team_id=teams[0].id, expected_version=version, by=facilitator)


def test_moving_after_confirming_says_it_is_not_confirmed_and_confirms_again(proposed, client):
    """Issue #17: a move after "Bevestig de teams" dropped "bevestigd" without a word while the Lab
    page kept the old teams. Now the screen says so, offers to confirm again, and only the person
    who changed team gets a new message."""
    _, lab, people, teams = proposed
    assert client.post(url(lab, "bevestigen"), data={"version": draft_of(lab).version}).status_code == 303
    assert "Deze indeling is bevestigd." in client.get(url(lab)).get_data(as_text=True)
    mover = people[0]
    source = placement(lab, mover).team_id
    target = next(team.id for team in teams if team.id != source)
    page = client.post(url(lab, "verplaats"), data={"user_id": mover.id, "team_id": target,
                                                    "version": draft_of(lab).version}, headers=HTMX)
    html = page.get_data(as_text=True)
    assert "Wijziging nog niet bevestigd" in html
    assert "De Lab-pagina en de deelnemers zien nog de bevestigde teams." in html
    assert "Deze indeling is bevestigd." not in html
    assert "Bevestig de teams opnieuw" in html
    # The Lab's teams are still the confirmed ones.
    assert db.session.scalar(select(Membership).where(Membership.user_id == mover.id)).team_id == source
    # Moving back restores the confirmed state without confirming again.
    client.post(url(lab, "verplaats"), data={"user_id": mover.id, "team_id": source,
                                             "version": draft_of(lab).version})
    assert "Deze indeling is bevestigd." in client.get(url(lab)).get_data(as_text=True)
    # Swap two people so sizes stay balanced, then confirm again.
    other = next(p for p in people if placement(lab, p).team_id == target)
    client.post(url(lab, "verplaats"), data={"user_id": mover.id, "team_id": target, "version": draft_of(lab).version})
    client.post(url(lab, "verplaats"), data={"user_id": other.id, "team_id": source, "version": draft_of(lab).version})
    before = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    assert client.post(url(lab, "bevestigen"), data={"version": draft_of(lab).version}).status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(Membership).where(Membership.user_id == mover.id)).team_id == target
    recipients = db.session.scalars(select(OutboxMessage.recipient).order_by(OutboxMessage.id).offset(before)).all()
    assert sorted(recipients) == sorted([mover.email, other.email])
    assert "Deze indeling is bevestigd." in client.get(url(lab)).get_data(as_text=True)
