"""Erasure is complete and unlinkable: after it (on request, or by the nightly purge) no page a
facilitator can open shows the person's name, address or an id-derived pseudonym; lists of living
participants leave them out; their work stays under a random pseudonym; aggregates stay right."""

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from fieldlab.audit import services as audit
from fieldlab.audit.models import AuditEvent
from fieldlab.auth.models import Role, User
from fieldlab.boards.models import BoardCard, ProgressUpdate
from fieldlab.evaluations import sending
from fieldlab.evaluations import services as evaluations
from fieldlab.evaluations.models import EvaluationAnswer, EvaluationForm, EvaluationRequest, EvaluationResponse
from fieldlab.extensions import db
from fieldlab.labs import participants
from fieldlab.labs import services as labs
from fieldlab.labs.models import Lab, ParticipantProfile, Participation
from fieldlab.mail.models import OutboxMessage
from fieldlab.privacy import erasure, services
from fieldlab.privacy.erasure import PSEUDONYM_PREFIX
from fieldlab.reports import hub_report
from fieldlab.returndays.models import Invitation
from fieldlab.speedlabs import preparing
from fieldlab.speedlabs.models import Idea, SpeedlabInvitation
from fieldlab.teams import services as teams
from fieldlab.teams.models import DraftPlacement, Membership, PairRule, Team
from tests import factories
from tests.security.test_route_walk import build_world, url_for_rule

TEXT_TYPES = ("text/html", "text/csv", "application/json", "text/calendar", "text/plain")


def touch_everything(world, person: User, facilitator: User, *, now: datetime) -> None:
    """`build_world` made `person` (Insider Lid 0) own a card, a return-day action, a result, a
    signal, an invitation and a pair rule. Add what it left out: a profile, a named evaluation
    answer and a request, a speedlab seat on the waiting list with an idea, a progress update, a
    message, and audit events that copied the name and address."""
    lab_id, team_id = world.ids["lab_id"], world.ids["team_id"]
    profile = db.session.get(ParticipantProfile, person.id) or ParticipantProfile(user_id=person.id)
    profile.level, profile.expertise, profile.note = "policy", ["vastgoed"], "Werkt bij Insider Lid 0 thuis"
    db.session.add(profile)
    lab, team = db.session.get(Lab, lab_id), db.session.get(Team, team_id)
    form = evaluations.create_form(lab=lab, anonymous=False, by=facilitator, now=now, title="Evaluatie met naam")
    db.session.add(EvaluationRequest(form_id=form.id, user_id=person.id, requested_at=now))
    response = EvaluationResponse(form_id=form.id, anonymous=False, user_id=person.id, submitted_at=now)
    db.session.add(response)
    db.session.flush()
    question = form.active_questions[0]
    db.session.add(EvaluationAnswer(response_id=response.id, question_id=question.id, grade=8))
    seat = SpeedlabInvitation(session_id=world.ids["session_id"], user_id=person.id, name=person.name,
                              email=person.email, status="waiting", waiting_position=1)
    db.session.add(seat)
    db.session.flush()
    db.session.add(Idea(session_id=world.ids["session_id"], author_id=seat.id, title="Idee van het lid", created_at=now))
    db.session.add(ProgressUpdate(challenge_id=team.challenge.id, author_id=person.id, status="on_track",
                                  went_well="Alles", created_at=now))
    db.session.add(OutboxMessage(idempotency_key="erase:1", recipient=person.email, subject="Voor Insider Lid 0",
                                 body_text="x", body_html="x"))
    audit.record("roles_changed", actor=facilitator, subject_user=person, now=now, name=person.name,
                 email=person.email, note=f"{person.name} <{person.email}>")
    draft = teams.get_or_create_draft(lab, by=facilitator, now=now)
    if not any(placement.user_id == person.id for placement in draft.placements):
        draft.placements.append(DraftPlacement(user_id=person.id))
    db.session.flush()


def traces(person_name: str, person_email: str, user_id: int) -> list[str]:
    return [person_name, person_email, f"persoon-{user_id}@", f"Oud-deelnemer {user_id}<", f"Oud-deelnemer {user_id} ",
            "@geanonimiseerd.invalid"]


def walk_for_traces(app, client, world, needles: list[str]) -> tuple[list[str], int]:
    """Every GET page of the URL map (ids from the security walk) plus searches that name the person."""
    found, pages = [], 0
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if rule.arguments and not set(rule.arguments) <= set(world.values_for(rule)):
            continue
        urls.append(url_for_rule(rule, world) if rule.arguments else rule.rule)
    urls += ["/accounts?zoek=Insider", "/privacy/?zoek=Insider&wie=Insider", "/logboek/?zoek=Insider",
             f"/privacy/persoon?persoon={world.ids['user_id']}", "/alumni?zoek=Insider"]
    for url in urls:
        response = client.get(url)
        if response.mimetype not in TEXT_TYPES:
            continue
        pages += 1
        body = response.get_data(as_text=True)
        found += [f"{url}: {needle!r}" for needle in needles if needle in body]
    return found, pages


@pytest.fixture
def erased_world(app, now):
    world = build_world(now)
    facilitator = db.session.scalar(select(User).where(User.name == "Insider Facilitator"))
    person = db.session.get(User, world.ids["user_id"])
    touch_everything(world, person, facilitator, now=now)
    db.session.commit()
    return world, person, facilitator


def test_erasure_leaves_no_trace_on_any_page_and_keeps_the_work_under_a_random_pseudonym(
        app, client, auth, erased_world, today):
    world, person, facilitator = erased_world
    user_id, name, email = person.id, person.name, person.email
    lab_id = world.ids["lab_id"]
    cards_before = db.session.scalar(select(func.count()).select_from(BoardCard).where(BoardCard.owner_id == user_id))
    year = db.session.get(Lab, lab_id).programme_starts_on.year
    hub_before = hub_report.hub_report(year, today=today)
    auth.login(facilitator)
    before, _pages = walk_for_traces(app, client, world, traces(name, email, user_id))
    assert len(before) > 10  # the walk finds the person where they were

    response = client.post(f"/privacy/persoon/wissen?persoon={user_id}",
                           data={"bevestigen": "ja", "reden": f"Verzoek van {name} per brief"})
    assert response.status_code == 303
    db.session.expire_all()
    person = db.session.get(User, user_id)
    pseudonym = person.name
    # A random token (erasure.py draws it with `secrets`), not the id: a digit of the id may appear in
    # it by chance, so the check is that it is not the id itself.
    assert re.fullmatch(rf"{PSEUDONYM_PREFIX} [A-Z2-9]{{4}}", pseudonym) and pseudonym.split()[-1] != str(user_id)
    assert person.erased_at is not None and not person.active and person.roles == set()

    found, pages = walk_for_traces(app, client, world, traces(name, email, user_id))
    assert pages > 60
    assert not found, found

    # Out of every list of living participants, pickers and counts.
    lab = db.session.get(Lab, lab_id)
    assert client.get(f"/accounts/{user_id}").status_code == 404  # no account to reactivate or give roles
    assert user_id not in [p.user_id for p in participants.participants_of(lab)]
    assert user_id not in [p.user_id for p in teams.participations_of(lab)]
    assert participants.participant_count(lab) == 2
    for model, column in ((Membership, Membership.user_id), (DraftPlacement, DraftPlacement.user_id),
                          (EvaluationRequest, EvaluationRequest.user_id), (Invitation, Invitation.user_id),
                          (SpeedlabInvitation, SpeedlabInvitation.user_id), (PairRule, PairRule.first_user_id)):
        assert db.session.scalar(select(func.count()).select_from(model).where(column == user_id)) == 0, model
    assert user_id not in sending.recipient_ids(db.session.scalars(select(
        EvaluationForm).where(EvaluationForm.lab_id == lab_id)).first())
    for url in (f"/labs/{lab_id}/deelnemers", f"/labs/{lab_id}/teams/", f"/labs/{lab_id}", "/accounts",
                f"/speedlabs/{world.ids['session_id']}",
                "/privacy/?wie=Oud"):
        assert pseudonym not in client.get(url).get_data(as_text=True), url
    assert "<dt>Deelnemers</dt><dd>2</dd>" in client.get(f"/labs/{lab_id}").get_data(as_text=True)
    assert labs.labs_page(facilitator, page=1).items[0][2] == 2  # the count on the Labs list

    # The work stays, under the pseudonym.
    assert db.session.scalar(select(func.count()).select_from(BoardCard)
                             .where(BoardCard.owner_id == user_id)) == cards_before == 1
    # (The return-day action they owned keeps them as its owner; the invitation list does not.)
    assert pseudonym in client.get(f"/terugkomdagen/{world.ids['return_day_id']}").get_data(as_text=True)
    board = client.get(f"/teams/{world.ids['team_id']}/bord").get_data(as_text=True)
    assert pseudonym in board and "Kaart Zilvervos" in board
    assert db.session.scalar(select(Idea.title).where(Idea.title == "Idee van het lid"))
    answer = db.session.scalar(select(EvaluationResponse).join(EvaluationAnswer).where(EvaluationAnswer.grade == 8))
    assert answer.anonymous and answer.user_id is None
    erased = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person_erased"))
    assert erased.detail == {"reason": f"Verzoek van {pseudonym} per brief"} and erased.subject_user_id == user_id
    # Their old messages are gone; the one left is the erasure notice (issue 19.4), which names nobody
    # and whose address the outbox forgets once it is sent.
    left = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == email)).all()
    assert [message.forgets_recipient for message in left] == [True]
    assert name not in left[0].body_text and name not in left[0].subject
    # The programme's historic participant count still counts them.
    assert db.session.scalar(select(func.count()).select_from(Participation)
                             .where(Participation.lab_id == lab_id)) == 3
    hub_after = hub_report.hub_report(year, today=today)
    assert hub_after.headline == hub_before.headline
    assert [t.rows for t in hub_after.tables] == [t.rows for t in hub_before.tables]


def test_the_retention_purge_takes_the_same_path_and_leaves_no_trace(app, client, auth, erased_world, now, today):
    world, person, facilitator = erased_world
    members = list(db.session.scalars(select(User).where(User.name.like("Insider Lid%")).order_by(User.id)))
    needles = [needle for member in members for needle in traces(member.name, member.email, member.id)]
    # Far enough ahead that the Lab's retention date (day 100 + the retention months) has passed.
    later = today + timedelta(days=365 * 4)
    plans = services.purge_due(now=now, today=later)
    db.session.commit()
    assert [len(plan.people) for plan in plans] == [3]
    auth.login(facilitator)
    found, pages = walk_for_traces(app, client, world, needles)
    assert pages > 60
    assert not found, found
    for member in members:
        db.session.refresh(member)
        assert member.name.startswith(PSEUDONYM_PREFIX) and member.erased_at is not None


def test_an_erased_person_cannot_be_erased_twice_nor_oneself(app, erased_world):
    world, person, facilitator = erased_world
    with pytest.raises(erasure.ErasureRefused):
        erasure.erase_person(facilitator, by=facilitator)
    erasure.erase_person(person, by=facilitator)
    with pytest.raises(erasure.ErasureRefused):
        erasure.erase_person(person, by=facilitator)


def test_two_erased_people_get_different_pseudonyms(app):
    facilitator = factories.make_user(Role.FACILITATOR)
    people = [factories.make_user(Role.PARTICIPANT) for _ in range(20)]
    names = {erasure.erase_person(person, by=facilitator) for person in people}
    assert len(names) == 20


def test_a_seat_freed_by_erasure_goes_to_the_waiting_list(app, now):
    facilitator = factories.make_user(Role.FACILITATOR)
    seated, waiting = factories.make_user(Role.PARTICIPANT), factories.make_user(Role.PARTICIPANT, name="Wacht Ende")
    speedlab = preparing.create_session(title="Speedlab Vol", question="Vraag?", context="", by=facilitator, now=now,
                                        starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=3, hours=2),
                                        place="Utrecht", online_url="", seats=1, dots_per_participant=3,
                                        owner_name="Eigenaar", owner_email="eigenaar@example.org")
    db.session.add_all([
        SpeedlabInvitation(session_id=speedlab.id, user_id=seated.id, name=seated.name, email=seated.email,
                           status="accepted"),
        SpeedlabInvitation(session_id=speedlab.id, user_id=waiting.id, name=waiting.name, email=waiting.email,
                           status="waiting", waiting_position=1)])
    db.session.commit()
    erasure.erase_person(seated, by=facilitator, now=now)
    db.session.commit()
    promoted = db.session.scalar(select(SpeedlabInvitation).where(SpeedlabInvitation.user_id == waiting.id))
    assert promoted.status == "invited"
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.recipient == waiting.email)) == 1


def test_a_name_with_accents_is_replaced_in_the_audit_log(app, now):
    facilitator = factories.make_user(Role.FACILITATOR)
    person = factories.make_user(Role.PARTICIPANT, name="Zoë Çelik-Ångström", email="zoe.celik@example.org")
    audit.record("roles_changed", actor=facilitator, subject_user=person, now=now, who="Zoë Çelik-Ångström",
                 nested={"to": ["zoe.celik@example.org"]})
    untouched = audit.record("roles_changed", actor=facilitator, now=now, who="Zoë Anders")
    db.session.commit()
    pseudonym = erasure.erase_person(person, by=facilitator, now=now)
    db.session.commit()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.subject_user_id == person.id,
                                                       AuditEvent.action == "roles_changed"))
    assert event.detail == {"who": pseudonym, "nested": {"to": [pseudonym]}}
    assert db.session.get(AuditEvent, untouched.id).detail == {"who": "Zoë Anders"}
