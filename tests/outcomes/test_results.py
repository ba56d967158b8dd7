"""The day-100 result through the app: who writes, who submits, what is kept, what follows."""

from datetime import timedelta

from sqlalchemy import select

from fieldlab import followups
from fieldlab.extensions import db
from fieldlab.followups.models import FollowUpStep
from fieldlab.mail.models import OutboxMessage
from fieldlab.outcomes import jobs, services
from fieldlab.outcomes.models import ResultStatus, TeamResult
from tests.outcomes.conftest import COMPLETE, build

CONFIRMED = {"bevestigd": "ja"}


def result_of(team):
    return db.session.scalar(select(TeamResult).where(TeamResult.team_id == team.id)
                             .execution_options(populate_existing=True))


def post_result(client, world, **changes):
    page = client.get(f"/teams/{world.team.id}/resultaat")
    assert page.status_code == 200
    version = result_of(world.team).version
    data = {**COMPLETE, "version": str(version), f"indicator_{world.indicator.id}": "24", **changes}
    return client.post(f"/teams/{world.team.id}/resultaat", data=data)


def test_form_opens_on_day_85_and_is_prefilled_from_the_board(app, client, auth):
    early = build(day=80, title="Witwassen via vastgoed")
    auth.login(early.member)
    page = client.get(f"/teams/{early.team.id}/resultaat").get_data(as_text=True)
    assert "vanaf dag 85" in page and "Resultaat opslaan" not in page

    world = build(day=85)
    auth.logout()
    auth.login(world.member)
    page = client.get(f"/teams/{world.team.id}/resultaat").get_data(as_text=True)
    assert "Resultaat opslaan" in page
    assert 'value="24' in page  # the last value on the board proposed as the final value
    # A draft may be saved half-filled, so no field is required; but none says "(optioneel)" either:
    # each is needed to submit (the summary of the weakness only after a yes).
    assert "(optioneel)" not in page
    assert 'Lessen <span class="field__optional">(nodig om in te dienen)</span>' in page
    assert 'De zwakte in één zin <span class="field__optional">(nodig bij ja)</span>' in page


def test_member_saves_half_a_draft_and_nothing_is_lost(client, auth, world):
    auth.login(world.member)
    response = post_result(client, world, lessons="", owner_email="")
    assert response.status_code == 303
    result = result_of(world.team)
    assert result.status == ResultStatus.DRAFT and result.changes.startswith("Slachtoffers")
    assert result.indicators[0].final_value == 24


def test_bad_email_keeps_the_text_and_says_why_next_to_the_field(client, auth, world):
    auth.login(world.member)
    response = post_result(client, world, owner_email="geen adres")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Vul een geldig e-mailadres in." in page
    assert "Slachtoffers melden zich nu" in page
    assert result_of(world.team).changes == ""


def test_second_edit_based_on_an_older_version_is_refused_with_both_texts(client, auth, world):
    auth.login(world.member)
    post_result(client, world)
    stale_version = result_of(world.team).version - 1
    response = client.post(f"/teams/{world.team.id}/resultaat",
                           data={**COMPLETE, "version": str(stale_version), "lessons": "Mijn eigen les."})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Mijn eigen les." in page and "Begin met de tolk." in page
    assert result_of(world.team).lessons == "Begin met de tolk."


def test_only_the_leader_submits_and_only_a_complete_result(client, auth, world):
    auth.login(world.member)
    post_result(client, world, lessons="")
    client.post(f"/teams/{world.team.id}/resultaat/indienen", data=CONFIRMED)
    assert result_of(world.team).status == ResultStatus.DRAFT

    auth.logout()
    auth.login(world.leader)
    page = client.post(f"/teams/{world.team.id}/resultaat/indienen", data=CONFIRMED,
                       follow_redirects=True).get_data(as_text=True)
    assert "Nog niet compleet: Lessen." in page
    assert result_of(world.team).status == ResultStatus.DRAFT

    post_result(client, world)
    # Submitting cannot be undone, so the button alone does not do it: the leader ticks first.
    unticked = client.post(f"/teams/{world.team.id}/resultaat/indienen")
    assert unticked.status_code == 422
    assert "Vink aan dat het resultaat klaar is om in te dienen." in unticked.get_data(as_text=True)
    assert result_of(world.team).status == ResultStatus.DRAFT
    client.post(f"/teams/{world.team.id}/resultaat/indienen", data=CONFIRMED)
    result = result_of(world.team)
    assert result.status == ResultStatus.SUBMITTED and result.submitted_by_id == world.leader.id
    # A submitted result no longer changes.
    response = client.post(f"/teams/{world.team.id}/resultaat", data={**COMPLETE, "version": str(result.version),
                                                                     "lessons": "Later veranderd"})
    assert response.status_code == 303 and result_of(world.team).lessons == "Begin met de tolk."


def test_commissioner_adds_a_view_others_may_not(client, auth, world):
    auth.login(world.leader)
    post_result(client, world)
    assert client.post(f"/teams/{world.team.id}/resultaat/indienen", data=CONFIRMED).status_code == 303
    assert result_of(world.team).status == "submitted"

    auth.logout()
    auth.login(world.manager)
    read = client.get(f"/teams/{world.team.id}/resultaat")
    assert read.status_code == 200 and COMPLETE["goal_explanation"] in read.get_data(as_text=True)
    assert client.post(f"/teams/{world.team.id}/resultaat/opdrachtgever",
                       data={"grade": "8", "follow_up": "x"}).status_code == 403

    auth.logout()
    auth.login(world.commissioner)
    response = client.post(f"/teams/{world.team.id}/resultaat/opdrachtgever", data={"grade": "11", "follow_up": ""})
    assert response.status_code == 422 and "van 1 tot en met 10" in response.get_data(as_text=True)
    client.post(f"/teams/{world.team.id}/resultaat/opdrachtgever",
                data={"grade": "8", "follow_up": "Budget voor een jaar meldpunt."})
    result = result_of(world.team)
    assert result.commissioner_grade == 8 and result.commissioner_follow_up == "Budget voor een jaar meldpunt."
    assert "Budget voor een jaar meldpunt." in client.get(f"/teams/{world.team.id}/resultaat").get_data(as_text=True)


def test_stranger_gets_404(client, auth, world):
    auth.login(world.stranger)
    assert client.get(f"/teams/{world.team.id}/resultaat").status_code == 404


def submitted(world):
    result = services.start_result(world.team, by=world.leader, now=world.now)
    data = services.ResultInput(**{**COMPLETE, "reveals_weakness": True},
                                indicators=[services.IndicatorInput(world.indicator.id, 24)])
    services.save_result(world.team, data, expected_version=result.version, by=world.leader, now=world.now)
    services.submit_result(world.team, by=world.leader, now=world.now)
    db.session.commit()
    return result


def test_six_months_after_day_100_the_owner_is_asked_once_across_restarts(app, client, world):
    result = submitted(world)
    due = services.sustainability_due(world.team)
    day_100 = services.day_100(world.team.challenge)
    assert (due.date() - day_100).days in range(181, 185)

    assert followups.run_due(due - timedelta(minutes=1))["done"] == []
    outcome = followups.run_due(due + timedelta(days=3))  # the scheduler was down for three days
    assert outcome["done"] == [f"{jobs.KIND}:{result.id}"]
    # A restarted or second scheduler finds nothing more to do.
    assert followups.run_due(due + timedelta(days=4))["done"] == []
    mails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "wim@example.org")).all()
    assert len(mails) == 1 and "Zes maanden later" in mails[0].subject

    link = mails[0].body_text.split("http://", 1)[1].split()[0]
    path = "/" + link.split("/", 1)[1]
    form = client.get(path)
    assert form.status_code == 200 and "Is de interventie nog in gebruik?" in form.get_data(as_text=True)
    missing = client.post(path, data={"still_in_use": "yes", "led_to": "", "spread": "yes"})
    assert missing.status_code == 422 and "Noem de regio" in missing.get_data(as_text=True)
    done = client.post(path, data={"still_in_use": "yes", "led_to": "Het meldpunt is structureel.",
                                   "spread": "yes", "spread_regions": "Tilburg en Helmond"})
    assert done.status_code == 200
    answer = result_of(world.team).sustainability
    assert answer.still_in_use == "yes" and answer.spread_regions == "Tilburg en Helmond"
    assert client.get(path).status_code == 410  # single use


def test_sustainability_step_is_skipped_when_answered_or_without_address(app, world):
    result = submitted(world)
    result.owner_email = ""
    db.session.commit()
    outcome = followups.run_due(services.sustainability_due(world.team) + timedelta(hours=1))
    assert outcome["skipped"] == [f"{jobs.KIND}:{result.id}"]
    step = db.session.scalar(select(FollowUpStep).where(FollowUpStep.subject_id == result.id))
    assert "e-mailadres" in step.reason
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.subject.contains("Zes maanden"))) is None


def test_a_forged_link_is_refused(client, world):
    assert client.get("/borging/abc.def.ghi").status_code == 404


def test_a_structural_weakness_opens_the_signal_draft_prefilled_from_the_result(client, auth, world):
    auth.login(world.member)
    response = post_result(client, world, next="signal")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/signalen/nieuw?team={world.team.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Onderaanneming zonder registratie maakt uitbuiting onzichtbaar." in page
    assert "24 van de 30 onderaannemers gecontroleerd." in page
    # Without a weakness the same button just saves.
    response = post_result(client, world, next="signal", reveals_weakness="no")
    assert response.headers["Location"].endswith(f"/teams/{world.team.id}/resultaat")
