"""The home page shows a leidinggevende only the teams whose boards they may read."""

from fieldlab.auth.models import Role
from fieldlab.auth.permissions import can
from fieldlab.extensions import db
from fieldlab.home.services import dashboard_for
from fieldlab.timeutil import local, utcnow


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

    shown = [progress.team for progress in dashboard_for(manager, today=local(utcnow()).date()).managed_teams]

    assert shown == [team_a]
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
