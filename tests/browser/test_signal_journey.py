"""A team member records in the day-100 result that the work revealed a structural weakness and
drafts a bestuurlijk signaal from it; the facilitator
records the Loket's advice and the toetsingsoverleg; the representative submits it through the
mailed link without an account; the facilitator records the offer, and three months later the
scheduler's reminder is in the outbox. Then the reaction, "afgerond" and, six months on, the
indieners' effect answer. axe-core checks every page on the way."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fieldlab import followups
from fieldlab.auth.models import Role
from fieldlab.mail.models import OutboxMessage
from fieldlab.signals.models import Signal
from fieldlab.timeutil import local, utcnow
from tests import factories
from tests.browser.conftest import checked
from tests.browser.helpers import log_in, open_menu
from tests.signals.helpers import COMPLETE

pytestmark = pytest.mark.browser


def mail_link(db, key_part: str, path: str) -> str:
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key.contains(key_part))
                                 .order_by(OutboxMessage.id.desc())).first()
    assert message is not None, f"no message {key_part} in the outbox"
    return re.search(rf"https?://\S+{path}\S+", message.body_text).group(0)


def test_from_the_teams_new_signal_page_to_a_submitted_signal_and_its_reminders(live_db, new_page):
    facilitator = factories.make_user(Role.FACILITATOR, name="Fenna Facilitator")
    riec = factories.make_organisation("RIEC Journey")
    commissioner = factories.make_user(Role.COMMISSIONER, name="Olga Opdrachtgever", organisation=riec)
    anna = factories.make_user(Role.PARTICIPANT, name="Anna Lid")
    lab = factories.make_lab(name="Field Lab Mensenhandel", facilitators=[facilitator])
    problem = factories.make_problem(commissioner, lab=lab, title="Uitbuiting via uitzendconstructies",
                                     facts="Veertien meldingen in een jaar.")
    team = factories.make_team(lab, members=[anna], name="Lovitura", problem=problem,
                               starts_on=local(utcnow()).date() - timedelta(days=89))  # day 90
    live_db.session.commit()
    today = local(utcnow()).date().isoformat()

    # The team's day-100 result says the work revealed a structural weakness: "Opslaan en signaal
    # opstellen" opens the draft, prefilled from the result and the team's vraagstuk.
    member = new_page()
    log_in(member, anna)
    member.goto(f"/teams/{team.id}/resultaat")
    checked(member)
    member.get_by_label("Deels").check()
    member.get_by_label("Toelichting").fill("Veertien meldingen, vier uitzendbureaus gecontroleerd.")
    member.get_by_role("group", name="Laat het werk een structurele zwakte zien").get_by_label("Ja").check()
    member.get_by_label("De zwakte in één zin").fill("Uitzendvergunningen worden zonder toets doorverkocht.")
    member.get_by_role("button", name="Opslaan en signaal opstellen").click()
    expect(member).to_have_url(re.compile(rf"/signalen/nieuw\?team={team.id}$"))
    checked(member)
    expect(member.get_by_label("Het structurele knelpunt, in één zin")).to_have_value(
        "Uitzendvergunningen worden zonder toets doorverkocht.")
    expect(member.get_by_label("Feiten uit het werk")).to_contain_text("vier uitzendbureaus gecontroleerd")
    member.get_by_label("Het juridische proces dat wordt misbruikt").fill(COMPLETE["legal_process"])
    member.get_by_label("Vergunning", exact=True).check()
    member.get_by_label("Geadresseerde bewindspersonen").fill("Minister van Justitie en Veiligheid\n"
                                                               "Minister van Sociale Zaken en Werkgelegenheid")
    member.get_by_label("Voorgestelde maatregelen").fill(COMPLETE["measures"])
    member.get_by_label("Toelichting criterium 1").fill(COMPLETE["misuse_explanation"])
    member.get_by_label("Toelichting criterium 2").fill(COMPLETE["structural_explanation"])
    member.get_by_label("Aangetoond: vaak misbruikt").check()
    member.get_by_label("Toelichting criterium 3").fill("kort")
    member.get_by_label("Een minister of staatssecretaris kan de regels veranderen").check()
    member.get_by_label("RIEC Journey").check()
    member.get_by_label("E-mailadressen van de indieners").fill("indiener@riec.example")
    member.get_by_label("Naam van de strategisch vertegenwoordiger").fill("Rita Vertegenwoordiger")
    member.get_by_label("E-mailadres van de strategisch vertegenwoordiger").fill("rita@riec.example")
    member.get_by_role("button", name="Concept opslaan").click()
    expect(member.get_by_role("heading", level=1)).to_have_text("Bestuurlijk signaal")
    checked(member)

    # Criterion 3 is still open: the page says which and why, and there is no way on yet.
    expect(member.locator("#signals-criterion-national")).to_contain_text("landelijk niveau speelt")
    expect(member.get_by_role("button", name="Advies vragen aan het Loket")).to_have_count(0)
    member.get_by_role("link", name="Concept wijzigen").click()
    checked(member)
    member.get_by_label("Toelichting criterium 3").fill(COMPLETE["national_explanation"])
    member.get_by_role("button", name="Concept opslaan").click()
    expect(member.locator("#signals-criterion-national")).to_contain_text("voldaan")
    member.get_by_role("button", name="Advies vragen aan het Loket").click()
    expect(member.locator("#signals-status")).to_have_text("Advies Loket")
    checked(member)

    # The facilitator records the Loket's advice and the toetsingsoverleg.
    hub = new_page()
    log_in(hub, facilitator)
    open_menu(hub).get_by_role("link", name="Signalen").click()
    checked(hub)
    hub.get_by_role("link", name="Uitzendvergunningen worden zonder toets doorverkocht.").click()
    checked(hub)
    hub.get_by_label("Advies van het Loket").fill("Een signaal is het juiste middel.")
    hub.get_by_label("Ja: door naar het toetsingsoverleg").check()
    hub.get_by_role("button", name="Advies vastleggen").click()
    expect(hub.locator("#signals-status")).to_have_text("Toetsingsoverleg")
    hub.get_by_label("Datum van het toetsingsoverleg").fill(today)
    hub.get_by_label("Feiten bevestigd").check()
    hub.get_by_role("button", name="Uitkomst vastleggen").click()
    expect(hub.locator("#signals-next")).to_contain_text("Rita Vertegenwoordiger is gevraagd het signaal definitief")
    checked(hub)

    # The representative submits through the mailed link, without an account.
    representative = new_page()
    representative.goto(mail_link(live_db, ":confirm:", "/signalen/bevestigen/"))
    checked(representative)
    representative.get_by_role("button", name="Definitief indienen").click()
    expect(representative.get_by_role("status")).to_contain_text("definitief ingediend")
    checked(representative)

    # The facilitator records the offer; three months later the reminder is queued, once.
    hub.reload()
    expect(hub.locator("#signals-status")).to_have_text("Definitief ingediend")
    hub.get_by_label("Datum").fill(today)
    hub.get_by_role("button", name="Aangeboden aan de bewindspersonen").click()
    expect(hub.locator("#signals-status")).to_have_text("Aangeboden aan de bewindspersonen")
    checked(hub)
    live_db.session.expire_all()
    signal = live_db.session.scalar(select(Signal))
    in_three_months = utcnow() + timedelta(days=95)
    followups.run_due(in_three_months)
    followups.run_due(in_three_months + timedelta(hours=1))
    reminders = live_db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.idempotency_key.startswith(f"followup:signal_reminder:{signal.id}:"))).all()
    assert [message.recipient for message in reminders] == [facilitator.email]
    hub.reload()
    expect(hub.locator("#signals-steps")).to_contain_text("uitgevoerd")
    checked(hub)

    # The reaction comes in, is passed on; six months later the indieners are asked the effect.
    hub.get_by_label("Datum van de reactie").fill(today)
    hub.get_by_label("Reactie van de bewindspersonen").fill("De ministers passen de vergunningseisen aan.")
    hub.get_by_role("button", name="Reactie vastleggen").click()
    expect(hub.locator("#signals-status")).to_have_text("Reactie ontvangen")
    hub.get_by_label("Datum").fill(today)
    hub.get_by_role("button", name="Reactie doorgegeven aan de indieners: afronden").click()
    expect(hub.locator("#signals-status")).to_have_text("Afgerond")
    checked(hub)
    followups.run_due(utcnow() + timedelta(days=190))
    indiener = new_page()
    indiener.goto(mail_link(live_db, "followup:signal_effect:", "/signalen/effect/"))
    checked(indiener)
    indiener.get_by_role("button", name="Antwoord versturen").click()
    expect(indiener.get_by_role("alert")).to_contain_text("Er is iets niet goed ingevuld")
    checked(indiener)
    indiener.get_by_label("Wat was het effect van het signaal?").fill("De eisen zijn per 1 januari aangescherpt.")
    indiener.get_by_role("button", name="Antwoord versturen").click()
    expect(indiener.get_by_role("status")).to_contain_text("opgeslagen")
    checked(indiener)
    indiener.goto("/signalen/effect/niet-geldig")
    checked(indiener)
    hub.reload()
    expect(hub.locator("#signals-status")).to_have_text("Effect nagevraagd")
    checked(hub)

    # On a phone the signal and the overview fit the screen (tables scroll inside their own region).
    hub.set_viewport_size({"width": 375, "height": 740})
    assert hub.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "signal page on a phone"
    open_menu(hub).get_by_role("link", name="Signalen").click()
    checked(hub)
    assert hub.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "overview on a phone"
