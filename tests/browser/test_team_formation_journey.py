"""A facilitator forms the teams of a Lab of 12: suggestion, a move by select and one by dragging,
a pin, a new suggestion for the rest, confirmation, and a move after it that asks to confirm again."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from fieldlab.auth.models import Role
from fieldlab.labs.models import LabKind
from fieldlab.mail.models import OutboxMessage
from fieldlab.teams.models import Membership
from tests import factories
from tests.browser.conftest import checked
from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser

TAGS = ("financieel onderzoek", "strafrecht", "vastgoed", "handhaving", "witwassen", "toezicht")
LEVELS = ("execution", "policy", "management", "expert")


def arrange_lab(db):
    facilitator = factories.make_user(Role.FACILITATOR, name="Fenna Facilitator")
    lab = factories.make_lab(kind=LabKind.TEAMS, name="Field Lab Ondermijning", facilitators=[facilitator])
    organisations = [factories.make_organisation(sector="privaat" if i < 2 else "publiek") for i in range(6)]
    commissioner = factories.make_user(Role.COMMISSIONER, organisation=organisations[2])
    problems = [factories.make_problem(commissioner, lab=lab, title=title, expertise_needed=list(needs))
                for title, needs in (("Uitbuiting in de bouw", TAGS[:3]), ("Witwassen via vastgoed", TAGS[2:]))]
    people = []
    for i in range(12):
        user = factories.make_user(Role.PARTICIPANT, name=f"Deelnemer {chr(65 + i)}",
                                   organisation=organisations[i % 6], level=LEVELS[i % 4],
                                   expertise=(TAGS[i % 6], TAGS[(i * 5 + 1) % 6]))
        factories.add_participant(lab, user)
        people.append(user)
    teams = [factories.make_team(lab, name=f"Team {k + 1}", problem=problems[k % 2]) for k in range(3)]
    db.session.commit()
    return facilitator, lab, people, teams


def column(page, team):
    return page.locator(f"#teams-column-{team.id}")


def drag(page, item, target):
    """Press, move in small steps (SortableJS follows the pointer), release over the other list."""
    item.scroll_into_view_if_needed()
    start = item.bounding_box()
    page.mouse.move(start["x"] + 10, start["y"] + start["height"] / 2)
    page.mouse.down()
    target.scroll_into_view_if_needed()
    end = target.bounding_box()
    page.mouse.move(end["x"] + 20, end["y"] + end["height"] - 10, steps=20)
    page.mouse.up()


def member(page, team, name):
    return column(page, team).locator(".teams-member__name").get_by_text(name, exact=True)


def test_facilitator_forms_and_confirms_teams_for_a_lab_of_twelve(live_db, page):
    facilitator, lab, people, teams = arrange_lab(live_db)
    lab_id, team_ids = lab.id, [team.id for team in teams]
    log_in(page, facilitator)

    page.goto(f"/labs/{lab_id}/teams/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Teams samenstellen")
    checked(page)
    page.get_by_role("button", name="Stel teams voor").click()
    expect(page.get_by_text("Totaalscore")).to_be_visible()
    checked(page)
    for team in teams:
        expect(column(page, team).locator(".teams-member")).to_have_count(4)
        expect(column(page, team).get_by_text("Score", exact=True)).to_be_visible()

    # Move by the "Verplaats naar" select (htmx saves; scores update in place).
    mover = people[0]
    source = next(team for team in teams if member(page, team, mover.name).count())
    target = next(team for team in teams if team.id != source.id)
    page.get_by_label(f"Verplaats {mover.name} naar").select_option(label=target.name)
    page.get_by_role("button", name=f"Verplaats {mover.name}", exact=True).click()
    expect(member(page, target, mover.name)).to_be_visible()
    expect(column(page, target).locator(".teams-member")).to_have_count(5)
    expect(page.get_by_text(f"{target.name} telt 5 deelnemers")).to_be_visible()
    checked(page)

    # Move by dragging a card to another team's column.
    dragged_name = column(page, source).locator(".teams-member__name").first.inner_text()
    third = next(team for team in teams if team.id not in (source.id, target.id))
    drag(page, member(page, source, dragged_name), column(page, third).locator(".teams-members"))
    expect(member(page, third, dragged_name)).to_be_visible()
    expect(column(page, source).locator(".teams-member")).to_have_count(2)
    checked(page)

    # Pin the person moved by hand, then let the app suggest again for the rest.
    page.get_by_role("button", name=f"Vastzetten {mover.name}").click()
    expect(page.get_by_role("button", name=f"Losmaken {mover.name}")).to_be_visible()
    page.get_by_role("button", name="Stel opnieuw voor (behalve vastgezette deelnemers)").click()
    expect(member(page, target, mover.name)).to_be_visible()
    for team in teams:
        expect(column(page, team).locator(".teams-member")).to_have_count(4)
    checked(page)

    page.get_by_role("button", name="Bevestig de teams").click()
    expect(page.get_by_role("status").filter(has_text="De teams zijn bevestigd")).to_be_visible()
    expect(page.get_by_text("Deze indeling is bevestigd.")).to_be_visible()
    checked(page)

    live_db.session.expire_all()
    memberships = live_db.session.scalars(select(Membership).where(Membership.team_id.in_(team_ids))).all()
    assert len(memberships) == 12
    assert (mover.id, target.id) in {(m.user_id, m.team_id) for m in memberships}
    queued = live_db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                    .where(OutboxMessage.idempotency_key.like(f"teams:lab{lab_id}:%")))
    assert queued == 12

    # A move after confirming: the screen says the change is not confirmed and offers to confirm again.
    page.get_by_label(f"Verplaats {mover.name} naar").select_option(label=source.name)
    page.get_by_role("button", name=f"Verplaats {mover.name}", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Wijziging nog niet bevestigd")).to_be_visible()
    expect(page.get_by_text("Deze indeling is bevestigd.")).to_have_count(0)
    expect(page.get_by_role("button", name="Bevestig de teams opnieuw")).to_be_visible()
    checked(page)
