"""A Lab report has the sections of its kind: a speedlab's Lab reports its speedlabs and their
ideas by dots (ideas only for who may read the speedlab's summary), a Lab for individual
participants has no teams; neither prints empty team, challenge or day-100 sections."""

import re

from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.labs.models import LabKind
from fieldlab.speedlabs import rounds
from tests import factories
from tests.speedlabs.helpers import NOW, add_participant, make_speedlab, run_to


def text(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_a_speedlab_lab_reports_its_ideas_by_dots_and_no_teams(client, auth):
    facilitator = factories.make_user(Role.FACILITATOR)
    lab = factories.make_lab(name="Speedlab-lab", kind=LabKind.SPEEDLAB, facilitators=[facilitator])
    speedlab = make_speedlab(facilitator, lab=lab, dots=3)
    anna, bram = add_participant(speedlab), add_participant(speedlab)
    run_to(speedlab, "ideas")
    loket = rounds.add_idea(speedlab, author=anna, title="Eén loket voor vastgoedsignalen", explanation="", now=NOW)
    rounds.add_idea(speedlab, author=bram, title="Huurcontracten steekproefsgewijs toetsen", explanation="", now=NOW)
    run_to(speedlab, "voting")
    rounds.set_dots(speedlab, anna, {loket.id: 3}, now=NOW)
    db.session.commit()

    auth.login(facilitator)
    page = text(client.get(f"/labs/{lab.id}/rapportage"))
    assert "Speedlabs en hun ideeën" in page and "Speedlab vastgoed" in page
    assert "De 2 ideeën met de meeste stippen" in page
    assert "1 Eén loket voor vastgoedsignalen 3" in page and "2 Huurcontracten steekproefsgewijs toetsen 0" in page
    for section in ("Teams en hun 100 dagen", "De teams zijn nog niet gevormd", "Resultaten op dag 100",
                    "Er is nog geen terugkomdag vastgelegd"):
        assert section not in page, section


def test_a_lab_for_individual_participants_has_return_days_but_no_teams(client, auth):
    facilitator = factories.make_user(Role.FACILITATOR)
    lab = factories.make_lab(name="Publieke Waarden", kind=LabKind.INDIVIDUAL, facilitators=[facilitator])
    db.session.commit()
    auth.login(facilitator)
    page = text(client.get(f"/labs/{lab.id}/rapportage"))
    assert "Terugkomdagen" in page and "Evaluaties" in page
    assert "Teams en hun 100 dagen" not in page and "Resultaten op dag 100" not in page
    assert "Speedlabs en hun ideeën" not in page
