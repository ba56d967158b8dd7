"""Who sees which vraagstuk, as a matrix; the list queries must agree with `can` exactly."""

import pytest
from sqlalchemy import select

from fieldlab.auth.models import Role
from fieldlab.auth.permissions import can
from fieldlab.extensions import db
from fieldlab.problems import listing
from fieldlab.problems.listing import visible_problems
from fieldlab.problems.models import Confidentiality, ProblemStatus

PEOPLE = ("author", "colleague", "other_commissioner", "facilitator", "team_member", "lab_participant",
          "other_lab_participant", "manager")
PROBLEMS = ("draft", "submitted", "confidential_in_lab", "internal_in_lab", "other_org")

VISIBLE = {
    "author": {"draft", "submitted", "confidential_in_lab", "internal_in_lab"},
    "colleague": {"draft", "submitted", "confidential_in_lab", "internal_in_lab"},
    "other_commissioner": {"other_org"},
    "facilitator": {"submitted", "confidential_in_lab", "internal_in_lab", "other_org"},
    "team_member": {"confidential_in_lab", "internal_in_lab"},
    "lab_participant": {"internal_in_lab"},
    "other_lab_participant": set(),
    "manager": set(),
}


@pytest.fixture
def world(app, make):
    org_a, org_b = make.make_organisation("Gemeente A"), make.make_organisation("Gemeente B")
    people = {
        "author": make.make_user(Role.COMMISSIONER, organisation=org_a),
        "colleague": make.make_user(Role.COMMISSIONER, organisation=org_a),
        "other_commissioner": make.make_user(Role.COMMISSIONER, organisation=org_b),
        "facilitator": make.make_user(Role.FACILITATOR),
        "team_member": make.make_user(Role.PARTICIPANT, organisation=org_a),
        "lab_participant": make.make_user(Role.PARTICIPANT),
        "other_lab_participant": make.make_user(Role.PARTICIPANT),
        "manager": make.make_user(Role.MANAGER),
    }
    lab, other_lab = make.make_lab(), make.make_lab()
    author = people["author"]
    problems = {
        "draft": make.make_problem(author, status=ProblemStatus.DRAFT),
        "submitted": make.make_problem(author),
        "confidential_in_lab": make.make_problem(author, lab=lab, status=ProblemStatus.ACCEPTED,
                                                 confidentiality=Confidentiality.CONFIDENTIAL),
        "internal_in_lab": make.make_problem(author, lab=lab, status=ProblemStatus.ACCEPTED),
        "other_org": make.make_problem(people["other_commissioner"], confidentiality=Confidentiality.CONFIDENTIAL),
    }
    make.make_team(lab, members=[people["team_member"]], problem=problems["confidential_in_lab"])
    make.add_participant(lab, people["lab_participant"], manager=people["manager"])
    make.add_participant(other_lab, people["other_lab_participant"])
    db.session.expire_all()
    return people, problems


@pytest.mark.parametrize("person", PEOPLE)
def test_who_sees_which_problem(world, person):
    """One row of the matrix per person (one app per row keeps the module fast)."""
    people, problems = world
    seen = {name for name in PROBLEMS if can(people[person], "problem.view", problems[name])}
    assert seen == VISIBLE[person]


@pytest.mark.parametrize("person", PEOPLE)
def test_list_query_applies_the_same_rule_as_can(world, person):
    people, problems = world
    listed = set(db.session.scalars(select(visible_problems(people[person]).subquery().c.id)))
    expected = {problems[name].id for name in VISIBLE[person]}
    assert listed == expected


@pytest.mark.parametrize("person", PEOPLE)
def test_the_list_page_applies_the_same_rule_as_can(world, person):
    """The list's statement is built once per kind of viewer and order, with the viewer as a bind
    parameter: every person's page holds exactly what `can` allows them, in every order."""
    people, problems = world
    expected = {problems[name].id for name in VISIBLE[person]}
    for sort in (*listing.SORT_COLUMNS, "unknown"):
        for direction in ("asc", "desc"):
            page = listing.problems_page(people[person], listing.ProblemFilters(sort=sort, direction=direction),
                                         per_page=100)
            assert {row.id for row in page.items} == expected, (sort, direction)
            assert page.total == len(expected)


@pytest.mark.parametrize(("person", "action", "problem", "allowed"), [
    ("author", "problem.edit", "submitted", True),
    ("colleague", "problem.edit", "submitted", True),
    ("author", "problem.edit", "internal_in_lab", False),
    ("facilitator", "problem.edit", "submitted", False),
    ("author", "problem.withdraw", "draft", True),
    ("other_commissioner", "problem.withdraw", "submitted", False),
    ("facilitator", "problem.review", "submitted", True),
    ("facilitator", "problem.review", "internal_in_lab", False),
    ("author", "problem.review", "submitted", False),
    ("facilitator", "problem.attach", "internal_in_lab", True),
    ("facilitator", "problem.attach", "submitted", False),
    ("author", "problem.answer", "submitted", True),
    ("team_member", "problem.answer", "confidential_in_lab", False),
])
def test_problem_actions(world, person, action, problem, allowed):
    people, problems = world
    assert can(people[person], action, problems[problem]) is allowed


@pytest.mark.parametrize(("role", "action", "allowed"), [
    (Role.COMMISSIONER, "problem.submit", True),
    (Role.FACILITATOR, "problem.submit", False),
    (Role.COMMISSIONER, "problems.list", True),
    (Role.FACILITATOR, "problems.list", True),
    (Role.PARTICIPANT, "problems.list", False),
    (Role.MANAGER, "problems.list", False),
    (Role.FACILITATOR, "labs.list", True),
    (Role.PARTICIPANT, "labs.list", True),
    (Role.COMMISSIONER, "labs.list", False),
    (Role.FACILITATOR, "labs.manage", True),
    (Role.PARTICIPANT, "labs.manage", False),
    (Role.PARTICIPANT, "profile.edit", True),
    (Role.COMMISSIONER, "profile.edit", False),
    (Role.FACILITATOR, "alumni.view", True),
    (Role.PARTICIPANT, "alumni.view", False),
])
def test_role_level_rules(app, make, role, action, allowed):
    assert can(make.make_user(role), action) is allowed
