"""Invitations: seats first, then the waiting list; a 'nee' frees a seat for the next in line.
Every invitation is one outbox message with an .ics and signed links."""

from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from fieldlab.auth.models import Role
from fieldlab.mail.models import OutboxMessage
from fieldlab.speedlabs import invitations, links, services
from fieldlab.speedlabs.models import InvitationStatus
from tests import factories
from tests.speedlabs.helpers import NOW, make_speedlab


def _messages_to(address):
    return factories.db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == address)
                                        .order_by(OutboxMessage.id)).all()


def test_seats_then_waiting_list_and_a_no_invites_the_next(app):
    speedlab = make_speedlab(seats=2)
    people = [factories.make_user(Role.PARTICIPANT, name=f"Alumnus {n}") for n in range(4)]
    invited = invitations.invite_alumni(speedlab, people, reasons={people[0].id: "thema vastgoed"},
                                        by=speedlab.facilitator, now=NOW)

    assert [i.status for i in invited] == ["invited", "invited", "waiting", "waiting"]
    assert invited[0].reason == "thema vastgoed"
    assert [i.name for i in invitations.waiting_list(speedlab)] == ["Alumnus 2", "Alumnus 3"]
    [notice] = _messages_to(people[2].email)
    assert notice.subject == "Wachtlijst speedlab: Speedlab vastgoed" and notice.attachments == []

    invitations.respond(invited[0], accept=True, now=NOW)
    invitations.respond(invited[1], accept=False, now=NOW + timedelta(hours=1))

    assert invited[1].status == InvitationStatus.DECLINED
    assert invited[2].status == InvitationStatus.INVITED
    assert invited[3].status == InvitationStatus.WAITING
    notice, invitation = _messages_to(people[2].email)
    assert invitation.subject == "Uitnodiging speedlab: Speedlab vastgoed" and len(invitation.attachments) == 1
    assert invitations.seats_taken(speedlab) == 2


def test_the_problem_owner_does_not_take_a_seat(app):
    speedlab = make_speedlab(seats=1)
    assert [i.role for i in speedlab.invitations] == ["owner"]
    invitations.invite_guest(speedlab, name="Gast", email="gast@example.org", by=speedlab.facilitator, now=NOW)
    assert [i.status for i in speedlab.invitations] == ["invited", "invited"]


def test_a_person_is_invited_once(app):
    speedlab = make_speedlab()
    invitations.invite_guest(speedlab, name="Gast", email="gast@example.org", by=speedlab.facilitator, now=NOW)
    with pytest.raises(services.SpeedlabError):
        invitations.invite_guest(speedlab, name="Gast", email="GAST@example.org", by=speedlab.facilitator, now=NOW)


def test_invitation_mail_carries_ics_and_signed_links_once(app):
    speedlab = make_speedlab(context="Vertrouwelijke feiten over het dossier")
    invitation = invitations.invite_guest(speedlab, name="Gast", email="gast@example.org",
                                          by=speedlab.facilitator, now=NOW)
    invitations.queue_invitation(invitation, now=NOW)  # a retry queues nothing new

    [message] = _messages_to("gast@example.org")
    assert "Vertrouwelijke" not in message.body_text + message.body_html
    assert "/speedlabs/antwoord/" in message.body_text and "/speedlabs/deelnemen/" in message.body_text
    [attachment] = message.attachments
    assert attachment["content_type"] == "text/calendar; method=REQUEST"
    calendar = Calendar.from_ical(attachment["content"])
    assert calendar["METHOD"] == "REQUEST"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Amsterdam"]
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"speedlab-{speedlab.id}-guest{invitation.id}@fieldlab"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART").hour == 10  # 09:00 UTC is 10:00 in Amsterdam in March


def test_links_are_single_purpose_and_expire(app):
    speedlab = make_speedlab()
    invitation = invitations.invite_guest(speedlab, name="Gast", email="gast@example.org",
                                          by=speedlab.facilitator, now=NOW)
    join = links.make_link_token(invitation, links.JOIN)
    assert invitations.invitation_for_link(join, links.JOIN) == invitation
    with pytest.raises(links.InvalidLink):
        invitations.invitation_for_link(join, links.RSVP)
    with pytest.raises(links.InvalidLink):
        invitations.invitation_for_link(join[:-2] + "xx", links.JOIN)
    app.config["SPEEDLAB_LINK_MAX_AGE"] = timedelta(seconds=-1)
    with pytest.raises(links.InvalidLink) as error:
        invitations.invitation_for_link(join, links.JOIN)
    assert error.value.reason == "expired"
