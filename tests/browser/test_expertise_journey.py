"""A participant types expertise on Mijn profiel: the list suggests known tags, completed after the
commas, and the profile stores the known spelling."""

import pytest
from playwright.sync_api import expect

from fieldlab.auth.models import Role
from fieldlab.expertise.services import store_tags
from fieldlab.labs.models import ParticipantProfile
from tests import factories
from tests.browser.conftest import checked
from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser


def test_participant_gets_suggestions_while_typing_expertise(live_db, page):
    participant = factories.make_user(Role.PARTICIPANT, name="Daan Visser", organisation=factories.make_organisation())
    store_tags(["Juridisch advies", "Jeugdzorg", "Vastgoed", "Witwassen"])
    live_db.session.commit()
    log_in(page, participant)

    page.goto("/mijn-profiel")
    checked(page)
    field = page.get_by_label("Expertise")
    options = page.locator("#expertise-suggestions option")
    # Without typing: every known tag (this works without JavaScript too).
    expect(options).to_have_count(4)
    field.press_sequentially("vastgoed, jur", delay=30)
    expect(options).to_have_count(1)
    expect(options.first).to_have_attribute("value", "vastgoed, Juridisch advies")
    field.fill("vastgoed, Juridisch advies")
    page.get_by_label("Beleid").check()
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("status").first).to_be_visible()
    checked(page)
    live_db.session.expire_all()
    assert live_db.session.get(ParticipantProfile, participant.id).expertise == ["Vastgoed", "Juridisch advies"]
