import pytest

from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.labs.models import LabKind
from tests import factories

TAGS = ("financieel onderzoek", "strafrecht", "vastgoed", "handhaving", "witwassen", "toezicht")
LEVELS = ("execution", "policy", "management", "expert")


@pytest.fixture
def lab_with_participants():
    """A Lab of 12 participants from six organisations (one private), two vraagstukken, three teams."""

    def build(*, count=12, teams=3, kind=LabKind.TEAMS, facilitators=()):
        lab = factories.make_lab(kind=kind, facilitators=facilitators, name="Field Lab Mensenhandel")
        organisations = [factories.make_organisation(f"Organisatie {i}", sector="privaat" if i == 0 else "publiek")
                         for i in range(6)]
        commissioner = factories.make_user(Role.COMMISSIONER, organisation=organisations[1])
        problems = [factories.make_problem(commissioner, lab=lab, title=f"Vraagstuk {name}",
                                           expertise_needed=list(needs))
                    for name, needs in (("A", TAGS[:3]), ("B", TAGS[3:]))]
        people = []
        for i in range(count):
            user = factories.make_user(Role.PARTICIPANT, name=f"Deelnemer {i + 1:02d}",
                                       organisation=organisations[i % 6], level=LEVELS[i % 4],
                                       expertise=(TAGS[i % 6], TAGS[(i * 5 + 1) % 6]))
            factories.add_participant(lab, user)
            people.append(user)
        team_list = [factories.make_team(lab, name=f"Team {k + 1}", problem=problems[k % 2]) for k in range(teams)]
        db.session.flush()
        return lab, people, team_list

    return build
