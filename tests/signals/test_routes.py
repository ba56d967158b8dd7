"""The signal pages through the test client: a draft from a team's page, the criteria on the
signal page, refused steps with Dutch reasons and nothing saved, the links without an account,
the overview and the exports."""

import io
import re
from datetime import timedelta

import pytest
from docx import Document
from docx.oxml.ns import qn
from sqlalchemy import select

from fieldlab import followups
from fieldlab.extensions import db
from fieldlab.mail.models import OutboxMessage
from fieldlab.signals import services
from fieldlab.signals.models import Signal
from fieldlab.timeutil import local, utcnow
from tests.signals.helpers import COMPLETE, complete_draft, to_consultation, to_submitted, world


def local_today():
    """Today where the Hub is: between 23:00 and midnight UTC (winter) the UTC date is yesterday
    there, and a date the app checks against the local day must be the local one."""
    return local(utcnow()).date()


def page(response) -> str:
    return response.get_data(as_text=True)


def form_data(w, **changes) -> dict:
    data = {key: value for key, value in COMPLETE.items() if key not in ("ministries", "minister_can_change")}
    data.update(ministries="\n".join(COMPLETE["ministries"]), minister_can_change="y", submitter_ids=[str(w.riec.id)])
    data.update(changes)
    return data


@pytest.fixture
def w(app):
    return world(representative_account=True)


def test_a_team_member_starts_a_draft_prefilled_from_the_teams_vraagstuk(w, client, auth):
    auth.login(w.anna)
    response = client.get(f"/signalen/nieuw?team={w.team.id}")
    assert response.status_code == 200
    assert "Misbruik van subsidies" in page(response) and "Twaalf dossiers." in page(response)
    response = client.post(f"/signalen/nieuw?team={w.team.id}", data=form_data(w))
    assert response.status_code == 303
    signal = db.session.scalar(select(Signal))
    assert (signal.team_id, signal.lab_id, signal.ministries) == (w.team.id, w.lab.id, COMPLETE["ministries"])
    detail = page(client.get(response.location))
    assert "Advies vragen aan het Loket" in detail


def test_a_stranger_may_not_start_a_signal_for_a_team(w, client, auth):
    auth.login(w.stranger)
    assert client.get(f"/signalen/nieuw?team={w.team.id}").status_code == 404
    assert client.get("/signalen/nieuw").status_code == 403


def test_a_bad_email_keeps_the_rest_of_the_input_and_saves_nothing(w, client, auth):
    auth.login(w.anna)
    response = client.post(f"/signalen/nieuw?team={w.team.id}",
                           data=form_data(w, submitter_contacts="geen-adres", measures="Mijn maatregel"))
    assert response.status_code == 422
    assert "“geen-adres” is geen geldig e-mailadres." in page(response)
    assert "Mijn maatregel" in page(response)
    assert db.session.scalar(select(Signal)) is None


def test_an_open_criterion_is_named_on_the_page_and_the_step_is_refused(w, client, auth):
    signal = complete_draft(w, national_explanation="kort")
    db.session.commit()
    auth.login(w.anna)
    body = page(client.get(f"/signalen/{signal.id}"))
    assert "Leg uit waarom dit op landelijk niveau speelt" in body
    assert "Advies vragen aan het Loket" not in body
    response = client.post(f"/signalen/{signal.id}/advies-aanvragen")
    assert response.status_code == 422 and "Deze stap kan nog niet" in page(response)
    db.session.refresh(signal)
    assert signal.status == "concept"


def test_a_future_offer_date_gets_a_message_next_to_the_field(w, client, auth):
    signal = complete_draft(w)
    to_consultation(w, signal)
    db.session.commit()
    auth.login(w.facilitator)
    response = client.post(f"/signalen/{signal.id}/toetsingsoverleg", data={"on": "", "outcome": "confirmed"})
    assert response.status_code == 422 and "Vul de datum van het toetsingsoverleg in." in page(response)
    response = client.post(f"/signalen/{signal.id}/toetsingsoverleg",
                           data={"on": local_today().isoformat(), "outcome": "confirmed"})
    assert response.status_code == 303
    [message] = db.session.scalars(select(OutboxMessage)).all()
    token = re.search(r"/signalen/bevestigen/(\S+)", message.body_text).group(1)
    anonymous = client.application.test_client()
    assert "Definitief indienen" in page(anonymous.get(f"/signalen/bevestigen/{token}"))
    assert anonymous.post(f"/signalen/bevestigen/{token}").status_code == 200
    db.session.refresh(signal)
    assert signal.status == "submitted"
    future = (local_today() + timedelta(days=3)).isoformat()
    response = client.post(f"/signalen/{signal.id}/aangeboden", data={"offer-on": future})
    assert response.status_code == 422 and "Deze datum ligt in de toekomst." in page(response)
    response = client.post(f"/signalen/{signal.id}/aangeboden", data={"offer-on": local_today().isoformat()})
    assert response.status_code == 303
    db.session.refresh(signal)
    assert signal.status == "offered" and len(followups.steps_for("signal_reminder", signal.id)) == 1


def test_a_forged_link_shows_a_dutch_page(w, client):
    response = client.get("/signalen/bevestigen/niet-geldig")
    assert response.status_code == 404 and "Deze link werkt niet" in page(response)
    assert client.get("/signalen/effect/niet-geldig").status_code == 404


def test_the_representative_confirms_through_their_account(w, client, auth, today):
    signal = complete_draft(w, now=utcnow())
    to_consultation(w, signal, now=utcnow())
    db.session.commit()
    auth.login(w.representative)
    assert client.post(f"/signalen/{signal.id}/bevestigen").status_code == 403
    assert "Bestuurlijke signalen die op u wachten" not in page(client.get("/")), "not asked yet"
    services.record_consultation(signal, on=today, outcome="confirmed", notes="",
                                 by=w.facilitator, now=utcnow())
    db.session.commit()
    assert "Definitief indienen namens mijn organisatie" in page(client.get(f"/signalen/{signal.id}"))
    # Their home page says so too, linking to the signal, not only the mail that asked them.
    home = page(client.get("/"))
    assert "Bestuurlijke signalen die op u wachten" in home and f'href="/signalen/{signal.id}"' in home
    response = client.post(f"/signalen/{signal.id}/bevestigen")
    assert response.status_code == 303
    db.session.expire_all()
    assert signal.status == "submitted" and signal.events[-1].by_id == w.representative.id
    # Submitted, the signal is the facilitators' only: the representative lands on their home
    # page, told what happened, not on a 404.
    assert response.location == "/"
    home = client.get("/")
    assert home.status_code == 200 and "Het signaal is definitief ingediend." in page(home)
    assert "Bestuurlijke signalen die op u wachten" not in page(home), "nothing waits on them any more"
    assert client.get(f"/signalen/{signal.id}").status_code == 404, "submitted: facilitators only"


def test_the_overview_is_for_facilitators(w, client, auth):
    complete_draft(w)
    db.session.commit()
    auth.login(w.facilitator)
    body = page(client.get("/signalen/"))
    assert COMPLETE["bottleneck"] in body and "de opstellers (concept afmaken)" in body
    auth.logout()
    auth.login(w.anna)
    assert client.get("/signalen/").status_code == 403


def test_word_export_has_the_loket_headings_and_pdf_is_a_pdf(w, client, auth):
    signal = complete_draft(w)
    db.session.commit()
    auth.login(w.facilitator)
    response = client.get(f"/signalen/{signal.id}/export.docx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    document = Document(io.BytesIO(response.data))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:5] == ["Het structurele knelpunt", "Indieners", "Ingediend namens", "Gericht aan",
                            "Feiten uit het werk"]
    assert "Toetsing aan de criteria" in headings and "Voorgestelde maatregelen" in headings
    # Word's own properties name the signal and its language, not python-docx's template.
    properties = document.core_properties
    assert properties.title == f"Bestuurlijk signaal: {COMPLETE['bottleneck']}"
    assert (properties.author, properties.language, properties.comments) == ("Fieldlab", "nl-NL", "")
    assert properties.created.year == utcnow().year
    lang = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")) \
        .find(qn("w:lang"))
    assert lang.get(qn("w:val")) == "nl-NL"
    pdf = client.get(f"/signalen/{signal.id}/export.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_a_facilitator_starts_from_scratch_in_one_of_their_own_labs(w, client, auth, make):
    other_lab = make.make_lab(name="Lab van een ander")
    db.session.commit()
    auth.login(w.facilitator)
    body = page(client.get("/signalen/nieuw"))
    assert "Lab Mensenhandel" in body and "Lab van een ander" not in body
    refused = client.post("/signalen/nieuw", data=form_data(w, lab_id=str(other_lab.id)))
    assert refused.status_code == 422 and db.session.scalar(select(Signal)) is None
    assert client.post("/signalen/nieuw", data=form_data(w, lab_id=str(w.lab.id))).status_code == 303
    signal = db.session.scalar(select(Signal))
    assert (signal.lab_id, signal.team_id, signal.events[0].by_id) == (w.lab.id, None, w.facilitator.id)


def test_the_facilitator_sends_the_representative_a_new_link(w, client, auth):
    signal = complete_draft(w, now=utcnow())
    to_consultation(w, signal, now=utcnow())
    db.session.commit()
    auth.login(w.facilitator)
    assert client.post(f"/signalen/{signal.id}/bevestiging-opnieuw").status_code == 422, "nothing confirmed yet"
    services.record_consultation(signal, on=local_today(), outcome="confirmed", notes="", by=w.facilitator,
                                 now=utcnow())
    db.session.commit()
    assert "opnieuw versturen" in page(client.get(f"/signalen/{signal.id}"))
    assert client.post(f"/signalen/{signal.id}/bevestiging-opnieuw").status_code == 303
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "rita@riec.example")).all()
    assert len(messages) == 2


def test_the_signal_pages_in_english(w, client, auth):
    signal = complete_draft(w, national_explanation="")
    w.facilitator.locale = "en"
    db.session.commit()
    auth.login(w.facilitator)
    assert "Administrative signals" in page(client.get("/signalen/"))
    body = page(client.get(f"/signalen/{signal.id}"))
    assert "3. Meant for national level: a minister can change the rules" in body
    assert "Explain why this is a matter for national level" in body


def test_each_step_the_hub_records_is_confirmed_on_the_page(w, client, auth, today):
    """Advice, offer, reaction and closing each say what was recorded, as saving a draft does."""
    signal = complete_draft(w, now=utcnow())
    services.ask_loket_advice(signal, by=w.anna, now=utcnow())
    db.session.commit()
    auth.login(w.facilitator)

    def step(path, data, message):
        response = client.post(f"/signalen/{signal.id}/{path}", data=data, follow_redirects=True)
        assert response.status_code == 200 and message in page(response), path

    step("advies", {"advice": "Past.", "fits": "yes"}, "Het advies van het Loket is vastgelegd.")
    services.record_consultation(signal, on=today, outcome="confirmed", notes="", by=w.facilitator, now=utcnow())
    services.confirm_submission(signal, by=None, now=utcnow())
    db.session.commit()
    step("aangeboden", {"offer-on": today.isoformat()}, "Vastgelegd: het signaal is aangeboden aan de bewindspersonen.")
    step("reactie", {"on": today.isoformat(), "text": "Wij passen de regeling aan."},
         "De reactie van de bewindspersonen is vastgelegd.")
    step("afgerond", {"closed-on": today.isoformat()}, "Het signaal is afgerond.")
    db.session.refresh(signal)
    assert signal.status == "closed"


def test_a_team_that_already_has_a_signal_is_shown_it_before_starting_another(w, client, auth):
    auth.login(w.anna)
    assert "heeft al een bestuurlijk signaal" not in page(client.get(f"/signalen/nieuw?team={w.team.id}"))
    signal = complete_draft(w)
    db.session.commit()
    body = page(client.get(f"/signalen/nieuw?team={w.team.id}"))
    assert "Dit team heeft al een bestuurlijk signaal:" in body
    assert f'href="/signalen/{signal.id}"' in body and "Begin alleen een nieuw signaal over een ander knelpunt." in body
    to_submitted(w, signal, now=utcnow())
    db.session.commit()
    body = page(client.get(f"/signalen/nieuw?team={w.team.id}"))
    # Submitted, it is the facilitators' to open: named with its status, not linked.
    assert COMPLETE["bottleneck"] in body and f'href="/signalen/{signal.id}"' not in body


def test_only_public_organisations_are_offered_as_indieners(w, client, auth, make):
    bank = make.make_organisation("Rabobank", sector="privaat", kind="bank")
    w.team.problem.organisations_involved.append(bank)
    db.session.commit()
    auth.login(w.anna)
    body = page(client.get(f"/signalen/nieuw?team={w.team.id}"))
    assert f'value="{w.riec.id}" checked' in body, "the vraagstuk's public organisation is ticked"
    assert "Rabobank" not in body, "a private organisation is no indiener"
    refused = client.post(f"/signalen/nieuw?team={w.team.id}", data=form_data(w, submitter_ids=[str(bank.id)]))
    assert refused.status_code == 422 and db.session.scalar(select(Signal)) is None
