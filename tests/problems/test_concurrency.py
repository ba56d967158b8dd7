"""Two people editing one vraagstuk: the second save is refused, shown, and nothing is lost."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.problems import services
from fieldlab.problems.models import Problem, ProblemStatus
from fieldlab.problems.services import ProblemData, StaleProblem

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FORM = {
    "description": "Overbewoning.", "facts": "Veertig adressen.", "concerns": "Afhankelijkheid.", "theme": "vastgoed",
    "staff_offered": "2", "staff_names": "", "expertise_needed": "", "desired_start": "", "confidentiality": "intern",
    "new_organisation_name": "", "new_organisation_kind": "", "action": "save",
}


def test_edit_based_on_an_older_version_is_refused_with_input_kept_and_changes_shown(login_as, client, make, auth):
    organisation = make.make_organisation()
    colleague = make.make_user(Role.COMMISSIONER, organisation=organisation, name="Collega Carla")
    author = make.make_user(Role.COMMISSIONER, organisation=organisation)
    problem = make.make_problem(author, title="Oorspronkelijke titel", description="Overbewoning.")
    db.session.commit()
    version_seen_by_author = problem.version

    auth.login(colleague)
    assert client.post(f"/vraagstukken/{problem.id}/bewerken",
                       data={**FORM, "title": "Titel van Carla", "version": version_seen_by_author}).status_code == 303
    auth.logout()

    auth.login(author)
    response = client.post(f"/vraagstukken/{problem.id}/bewerken",
                           data={**FORM, "title": "Titel van de auteur", "version": version_seen_by_author})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Iemand anders heeft dit vraagstuk intussen gewijzigd" in page
    assert "Gewijzigd door Collega Carla" in page
    assert "Titel van Carla" in page  # what the new version holds
    assert 'value="Titel van de auteur"' in page  # the author's input is kept
    db.session.expire_all()
    saved = db.session.get(Problem, problem.id)
    assert saved.title == "Titel van Carla"
    assert f'name="version" type="hidden" value="{saved.version}"' in page

    # Saving again, now knowingly over the newer version, works.
    assert client.post(f"/vraagstukken/{problem.id}/bewerken",
                       data={**FORM, "title": "Titel van de auteur", "version": saved.version}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Problem, problem.id).title == "Titel van de auteur"


def test_a_change_committed_between_read_and_write_raises_stale_problem(app, make):
    """The version column guards the UPDATE itself, not only the form's hidden field."""
    commissioner = make.make_user(Role.COMMISSIONER, organisation=make.make_organisation())
    problem = make.make_problem(commissioner, title="Origineel", status=ProblemStatus.DRAFT)
    db.session.commit()
    problem = db.session.scalar(select(Problem).where(Problem.id == problem.id))
    loaded_version = problem.version
    with db.engine.begin() as other_connection:
        other_connection.execute(update(Problem).where(Problem.id == problem.id)
                                 .values(title="Van een ander", version=Problem.version + 1))
    with pytest.raises(StaleProblem):
        services.update_problem(problem, ProblemData(title="Van mij"), expected_version=loaded_version,
                                by=commissioner, now=NOW)
    db.session.rollback()
    assert db.session.get(Problem, problem.id).title == "Van een ander"
