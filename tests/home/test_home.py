"""The home page shows a leidinggevende only the teams whose boards they may read."""

import re
from datetime import timedelta

from fieldlab import fragments
from fieldlab.auth.models import Role
from fieldlab.auth.permissions import can
from fieldlab.boards import tracking
from fieldlab.boards.models import Status
from fieldlab.extensions import db
from fieldlab.home import routes as home_routes
from fieldlab.home import services as home_services
from fieldlab.home.services import dashboard_for
from fieldlab.returndays import decisions
from fieldlab.speedlabs import services as speedlab_services
from fieldlab.speedlabs.models import InvitationStatus, SpeedlabSession
from fieldlab.timeutil import local, utcnow
from tests import factories
from tests.returndays.helpers import arrange_team, details
from tests.speedlabs.helpers import add_participant, make_speedlab


def test_manager_sees_teams_of_people_they_manage_in_that_lab_only(app, make):
    manager = make.make_user(Role.MANAGER)
    mine, other = make.make_user(Role.PARTICIPANT), make.make_user(Role.PARTICIPANT)
    lab_a, lab_b = make.make_lab(), make.make_lab()
    make.add_participant(lab_a, mine, manager=manager)
    make.add_participant(lab_b, other, manager=manager)
    # `mine` is managed by this manager in Lab A only, but is also in a team of Lab B.
    team_a = make.make_team(lab_a, members=[mine], name="Team A")
    team_b = make.make_team(lab_b, members=[mine], name="Team B")
    db.session.commit()

    shown = [progress.team.id for progress in dashboard_for(manager, today=local(utcnow()).date()).managed_teams]

    assert shown == [team_a.id]
    assert can(manager, "board.view", team_a) and not can(manager, "board.view", team_b)


def test_the_hub_figures_say_one_in_the_singular(login_as, client, make):
    """"1 vraagstukken wachten op beoordeling" read wrong; one is singular, two plural, in both languages."""
    login_as(Role.FACILITATOR)
    commissioner = make.make_user(Role.COMMISSIONER)
    make.make_problem(commissioner)
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert '1</span> <span class="stat__label">vraagstuk wacht op beoordeling</span>' in page
    make.make_problem(commissioner)
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert '2</span> <span class="stat__label">vraagstukken wachten op beoordeling</span>' in page


def test_home_names_the_confirmed_return_day_not_a_weekend_challenge_day(client, auth):
    """Home said "Dag 50: 19 december 2026" (a Saturday) while the return day was Monday the 21st:
    a leidinggevende would block the wrong day. The confirmed return day is named as such, with a
    link to answer; a challenge day without one says that the return day is still to be set."""
    starts = local(utcnow()).date() + timedelta(days=7)
    while (starts + timedelta(days=49)).weekday() != 5:  # day 50 on a Saturday
        starts += timedelta(days=1)
    setting = arrange_team(starts)
    monday = starts + timedelta(days=51)
    return_day = decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=50,
                                           details=details(monday), by=setting.facilitator, now=utcnow())
    db.session.commit()
    for person in (setting.members[0], setting.manager):
        auth.login(person)
        page = client.get("/").get_data(as_text=True)
        assert "Terugkomdag na dag 50: maandag" in page
        assert f'href="/terugkomdagen/{return_day.id}"' in page
        assert "Dag 100 van de challenge:" in page and "de terugkomdag is nog niet vastgelegd" in page
        assert "zaterdag" not in page
        auth.logout()

    # Travel to the evening of the return day: it is over, and day 100 is what comes next.
    evening = return_day.ends_at + timedelta(hours=1)
    coming = dashboard_for(setting.manager, today=local(evening).date(), now=evening).managed_teams[0].coming
    assert [(number, day) for number, _, day in coming] == [(100, None)]
    on_the_day = return_day.starts_at
    coming = dashboard_for(setting.manager, today=local(on_the_day).date(), now=on_the_day).managed_teams[0].coming
    assert [(number, day and day.id) for number, _, day in coming] == [(50, return_day.id), (100, None)]


def test_an_invited_alumnus_and_the_problem_owner_find_their_speedlab_on_home(client, auth, make):
    """Only facilitators have the Speedlabs menu; an invitee's only way in was the mail."""
    owner = make.make_user(Role.COMMISSIONER, name="Olga Opdrachtgever")
    speedlab = make_speedlab(owner=owner, title="Speedlab recreatieparken")
    speedlab.starts_at, speedlab.ends_at = utcnow() + timedelta(days=3), utcnow() + timedelta(days=3, hours=2)
    alumnus = make.make_user(Role.PARTICIPANT, name="Anna Alumna")
    old_lab = make.make_lab(programme_ends_on=local(utcnow()).date() - timedelta(days=200))
    make.add_participant(old_lab, alumnus)
    add_participant(speedlab, alumnus, status=InvitationStatus.INVITED)
    cancelled = make_speedlab(owner=owner, title="Speedlab afgelast")
    cancelled.starts_at, cancelled.ends_at = speedlab.starts_at, speedlab.ends_at
    cancelled.cancelled_at, cancelled.cancellation_reason = utcnow(), "De eigenaar is verhinderd."
    db.session.commit()
    auth.login(alumnus)
    page = client.get("/").get_data(as_text=True)
    assert f'<a href="/speedlabs/{speedlab.id}/bord">Speedlab recreatieparken</a>' in page
    assert "Speedlab afgelast" not in page
    auth.logout()
    auth.login(owner)
    assert "Speedlab recreatieparken" in client.get("/").get_data(as_text=True)
    auth.logout()
    # After it ended, it is gone from home.
    speedlab.starts_at, speedlab.ends_at = utcnow() - timedelta(hours=3), utcnow() - timedelta(hours=1)
    db.session.commit()
    auth.login(alumnus)
    assert "Speedlab recreatieparken" not in client.get("/").get_data(as_text=True)


def test_a_leidinggevende_reads_the_teams_traffic_light_and_the_help_it_asks_on_home(client, auth):
    """The help asked of the managers was only on the board's Voortgang and /borden."""
    setting = arrange_team(local(utcnow()).date() - timedelta(days=30))
    tracking.add_progress_update(setting.team.challenge, status=Status.AT_RISK, help_needed="Budget voor een tolk.",
                                 by=setting.members[0], now=utcnow())
    db.session.commit()
    auth.login(setting.manager)
    page = client.get("/").get_data(as_text=True)
    assert "Laatste voortgang" in page and "risico" in page
    assert "Hulp gevraagd van de leidinggevenden:</strong> Budget voor een tolk." in page
    auth.logout()
    auth.login(setting.members[0])  # a member reads it on the board itself
    assert "Hulp gevraagd van de leidinggevenden" not in client.get("/").get_data(as_text=True)


def test_whether_any_speedlab_is_coming_is_kept_and_follows_every_change(app):
    """Most home pages ask no speedlab statement: the latest end of a speedlab is kept with the
    reference lists, and creating, moving or cancelling one raises their version."""
    factories.make_organisation("Gemeente Almere")  # a reference version to keep it under
    db.session.commit()
    now = utcnow()
    with app.app_context():
        assert not speedlab_services.any_coming(now)
    with app.app_context():
        speedlab = make_speedlab(title="Speedlab haven")
        speedlab.starts_at, speedlab.ends_at = now + timedelta(days=2), now + timedelta(days=2, hours=2)
        db.session.commit()
        speedlab_id = speedlab.id
    with app.app_context():
        assert speedlab_services.any_coming(now)
        assert not speedlab_services.any_coming(now + timedelta(days=3))
    with app.app_context():
        speedlab = db.session.get(SpeedlabSession, speedlab_id)
        speedlab.cancelled_at, speedlab.cancellation_reason = now, "Verhinderd."
        db.session.commit()
    with app.app_context():
        assert not speedlab_services.any_coming(now)


def test_a_teams_kept_progress_follows_the_day_a_confirmed_return_day_and_a_new_traffic_light(
        client, auth, monkeypatch):
    """A team's progress on home is kept under all it shows (`TeamProgress.fragment_key`): each of
    these must still show on the next view, and the same view twice is written once."""
    setting = arrange_team(local(utcnow()).date() - timedelta(days=10))
    db.session.commit()
    auth.login(setting.manager)
    first = client.get("/").get_data(as_text=True)
    day = int(re.search(r"dag (\d+) van 100", first).group(1))
    hits = fragments.cache().hits
    assert client.get("/").get_data(as_text=True).count(f"dag {day} van 100") == 1
    assert fragments.cache().hits == hits + 1

    monday = setting.team.challenge.date_of_day(50)
    while monday.weekday() != 0:
        monday += timedelta(days=1)
    decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=50, details=details(monday),
                              by=setting.facilitator, now=utcnow())
    db.session.commit()
    assert "Terugkomdag na dag 50: maandag" in client.get("/").get_data(as_text=True)

    tracking.add_progress_update(setting.team.challenge, status=Status.BEHIND, by=setting.members[0], now=utcnow())
    db.session.commit()
    assert "board-status--behind" in client.get("/").get_data(as_text=True)

    tomorrow = utcnow() + timedelta(days=1)
    monkeypatch.setattr(home_routes, "utcnow", lambda: tomorrow)
    monkeypatch.setattr(home_services, "utcnow", lambda: tomorrow)
    later = client.get("/").get_data(as_text=True)
    assert f"dag {day + 1} van 100" in later and f"dag {day} van 100" not in later
