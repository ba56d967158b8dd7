"""One calendar identity per event and person: a member who accepts the mailed invitation and also
subscribes to the feed sees each return day once. Checked in a real CalDAV server (Radicale,
started on a free loopback port) the way a calendar app works: every VEVENT that arrives, from the
mail's .ics or from the feed, replaces the event with the same UID in the collection, or is added
as a new one."""

import base64
import http.client
import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from icalendar import Calendar

from fieldlab.extensions import db
from fieldlab.returndays import calendar as returnday_calendar
from fieldlab.returndays import decisions, invitations, services
from fieldlab.timeutil import local, utcnow
from tests.conftest import free_port
from tests.returndays.helpers import arrange_team, details, outbox

USER = "anna"
COLLECTION = f"/{USER}/fieldlab/"


class CalDAV:
    """The few CalDAV requests a calendar app makes, against one collection."""

    def __init__(self, port: int):
        self.port = port
        self.auth = "Basic " + base64.b64encode(f"{USER}:secret".encode()).decode()

    def request(self, method: str, path: str, body: str = "", headers: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.request(method, path, body=body.encode(), headers={"Authorization": self.auth, **(headers or {})})
        response = connection.getresponse()
        data = response.read().decode()
        connection.close()
        return response.status, data

    def hrefs(self) -> list[str]:
        status, body = self.request("PROPFIND", COLLECTION, '<?xml version="1.0"?><propfind xmlns="DAV:"><prop>'
                                    "<getetag/></prop></propfind>", {"Depth": "1", "Content-Type": "application/xml"})
        assert status == 207, body
        hrefs = [element.text for element in ElementTree.fromstring(body).iter("{DAV:}href")]
        return [href for href in hrefs if href.endswith(".ics")]

    def events(self) -> dict[str, tuple[str, Calendar]]:
        """UID → (href, the stored calendar object)."""
        found = {}
        for href in self.hrefs():
            status, body = self.request("GET", href)
            assert status == 200, body
            stored = Calendar.from_ical(body)
            for event in stored.walk("VEVENT"):
                found[str(event["UID"])] = (href, stored)
        return found

    def take_in(self, ics_text: str) -> None:
        """What a calendar app does with an invitation it accepts or a feed it reads: each event
        goes into the collection under its UID (replacing the one with that UID, if any)."""
        incoming = Calendar.from_ical(ics_text)
        timezones = incoming.walk("VTIMEZONE")
        existing = self.events()
        for event in incoming.walk("VEVENT"):
            item = Calendar()
            item.add("prodid", "-//Fieldlab tests//CalDAV client//NL")
            item.add("version", "2.0")
            for timezone in timezones:
                item.add_component(timezone)
            item.add_component(event)
            href = existing.get(str(event["UID"]), (f"{COLLECTION}{uuid.uuid4()}.ics", None))[0]
            status, body = self.request("PUT", href, item.to_ical().decode(), {"Content-Type": "text/calendar"})
            assert status in (201, 204), body


@pytest.fixture
def caldav(tmp_path):
    """A Radicale server of its own: anyone may log in, each user owns their collections."""
    pytest.importorskip("radicale", reason="Radicale is not installed (pip install -e '.[test]')")
    port = free_port()
    config = tmp_path / "radicale.conf"
    config.write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n[auth]\ntype = none\n[rights]\ntype = owner_only\n"
        f"[storage]\nfilesystem_folder = {tmp_path / 'collections'}\n[logging]\nlevel = warning\n",
        encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "radicale", "--config", str(config)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ})
    client = CalDAV(port)
    try:
        for _attempt in range(100):
            if process.poll() is not None:
                pytest.skip(f"Radicale did not start: {process.stderr.read().decode()[-300:]}")
            try:
                status, _body = client.request("MKCALENDAR", COLLECTION)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.skip("Radicale did not answer on its port within 10 seconds")
        assert status == 201
        yield client
    finally:
        process.terminate()
        process.wait(timeout=10)


def _mailed_calendars(email: str) -> list[str]:
    return [attachment["content"] for message in outbox() if message.recipient == email
            for attachment in message.attachments or [] if attachment["content_type"].startswith("text/calendar")]


def test_a_member_with_mail_and_feed_in_one_calendar_sees_each_return_day_once(app, client, caldav):
    setting = arrange_team(local(utcnow()).date() + timedelta(days=10))
    member = setting.members[0]
    challenge = setting.team.challenge
    for day_number in (1, 50):
        confirmed = decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=day_number,
                                              details=details(challenge.date_of_day(day_number)),
                                              by=setting.facilitator, now=utcnow())
        invitations.send_invitations(confirmed, now=utcnow())  # day 50's invitation job ran
    token = returnday_calendar.create_feed(member, now=utcnow())
    db.session.commit()

    def read_feed():
        response = client.get(f"/agenda/feed/{token}.ics")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    for mailed in _mailed_calendars(member.email):
        caldav.take_in(mailed)
    caldav.take_in(read_feed())
    events = caldav.events()
    assert len(_mailed_calendars(member.email)) == 2
    assert len(events) == 2, sorted(events)
    assert len(caldav.hrefs()) == 2

    # Day 50 moves: the updated mail (SEQUENCE + 1) and the refreshed feed still make one event.
    day_50 = services.existing_return_day(setting.lab, setting.team, 50)
    moved_to = challenge.date_of_day(50) + timedelta(days=1)
    decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=50, details=details(moved_to),
                              by=setting.facilitator, now=utcnow())
    db.session.commit()
    caldav.take_in(_mailed_calendars(member.email)[-1])
    caldav.take_in(read_feed())
    events = caldav.events()
    assert len(events) == 2
    [stored] = [stored for uid, (_href, stored) in events.items() if uid.startswith(f"returnday-{day_50.id}-")]
    [event] = stored.walk("VEVENT")
    assert event.decoded("DTSTART").date() == moved_to and event["SEQUENCE"] == 1
    assert str(event["ORGANIZER"]).startswith("mailto:")
