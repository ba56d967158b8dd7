"""'Plaats (optioneel)' was shown although a speedlab needs a place unless it has an online link: the
create and change forms ask "Plaats of online link" as one question, say the rule there, and put the
message for a missing place next to the fields, in Dutch and in English."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.speedlabs.models import SpeedlabSession
from fieldlab.timeutil import local, utcnow


def day() -> str:
    return (local(utcnow()).date() + timedelta(days=20)).isoformat()


def form(**fields):
    data = {"problem_id": "0", "lab_id": "0", "title": "Witwassen via vastgoed", "question": "Wat kunnen we doen?",
            "owner_name": "Olga", "owner_email": "", "day": day(), "starts": "13:00", "ends": "15:00",
            "place": "", "online_url": "", "seats": "6", "dots": "3"}
    data.update(fields)
    return data


def place_group(page: str) -> str:
    start = page.index("<legend class=\"field__label\">")
    return page[start:page.index("</fieldset>", start)]


@pytest.mark.parametrize("locale, legend, rule", [
    ("nl", "Plaats of online link", "Een plaats is nodig, tenzij u een link voor online deelname invult."),
    ("en", "Place or online link", "A place is required unless you enter a link for taking part online."),
])
def test_the_form_asks_place_or_link_as_one_question_with_the_rule(client, login_as, locale, legend, rule):
    login_as(Role.FACILITATOR, locale=locale)

    page = client.get("/speedlabs/nieuw").get_data(as_text=True)

    group = place_group(page)
    assert group.startswith(f'<legend class="field__label">{legend}</legend>')
    assert f'<p class="field__hint" id="place-rule">{rule}' in group
    assert "optioneel" not in group and "optional" not in group
    assert 'aria-describedby="place-rule"' in page
    assert 'name="place"' in group and 'name="online_url"' in group and 'type="url"' in group


@pytest.mark.parametrize("locale, message", [
    ("nl", "Vul een plaats of een link voor online deelname in."),
    ("en", None),
])
def test_neither_place_nor_link_is_refused_next_to_the_fields(client, login_as, locale, message):
    login_as(Role.FACILITATOR, locale=locale)

    response = client.post("/speedlabs/nieuw", data=form())

    assert response.status_code == 422
    group = place_group(response.get_data(as_text=True))
    error = re.search(r'<p class="field__error" id="place-error">([^<]+)</p>', group)
    assert error, "the message stands in the group, next to the fields"
    if message:
        assert error.group(1).strip() == message
    else:
        assert error.group(1).strip() and "Vul" not in error.group(1)
    assert 'aria-invalid="true"' in group
    assert 'value="Witwassen via vastgoed"' in response.get_data(as_text=True), "the rest is kept"
    assert db.session.scalar(select(SpeedlabSession)) is None


@pytest.mark.parametrize("fields", [{"place": "Den Haag"}, {"online_url": "https://teams.example/meet/1"},
                                    {"place": "Den Haag", "online_url": "https://teams.example/meet/1"}])
def test_a_place_or_a_link_or_both_is_enough(client, login_as, fields):
    login_as(Role.FACILITATOR)

    response = client.post("/speedlabs/nieuw", data=form(**fields))

    assert response.status_code == 303
    speedlab = db.session.scalar(select(SpeedlabSession))
    assert (speedlab.place or "", speedlab.online_url or "") == (fields.get("place", ""), fields.get("online_url", ""))


def test_the_change_form_asks_the_same_way(client, login_as):
    login_as(Role.FACILITATOR)
    client.post("/speedlabs/nieuw", data=form(online_url="https://teams.example/meet/1"))
    speedlab = db.session.scalar(select(SpeedlabSession))

    page = client.get(f"/speedlabs/{speedlab.id}/wijzigen").get_data(as_text=True)
    group = place_group(page)
    assert "Plaats of online link" in group and "optioneel" not in group
    assert 'value="https://teams.example/meet/1"' in group

    response = client.post(f"/speedlabs/{speedlab.id}/wijzigen", data={
        "title": speedlab.title, "question": speedlab.question, "context": "", "day": day(), "starts": "13:00",
        "ends": "15:00", "place": "", "online_url": ""})
    assert response.status_code == 422
    assert re.search(r'id="place-error">Vul een plaats of een link voor online deelname in.',
                     place_group(response.get_data(as_text=True)))
    db.session.expire_all()
    assert speedlab.online_url == "https://teams.example/meet/1"
