"""Alumni are derived from Labs that ended; the suggestions are ranked by fit, give their reason,
and keep the organisations mixed."""

from datetime import date

from fieldlab.auth.models import Role
from fieldlab.speedlabs import alumni, invitations
from tests.speedlabs.helpers import TODAY, make_speedlab


def _alumnus(make, lab, *, name, organisation=None, expertise=()):
    user = make.make_user(Role.PARTICIPANT, name=name, organisation=organisation, level="expert", expertise=expertise)
    make.add_participant(lab, user)
    return user


def test_only_participants_of_labs_that_ended_before_today_are_alumni(app, make):
    ended = make.make_lab(name="Field Lab 2024-2", theme="vastgoed", programme_ends_on=date(2024, 11, 1))
    running = make.make_lab(name="Field Lab 2025-1", theme="vastgoed", programme_ends_on=TODAY)
    undated = make.make_lab(name="Field Lab zonder datum", theme="vastgoed")
    alumna = _alumnus(make, ended, name="Anna")
    _alumnus(make, running, name="Bert")
    _alumnus(make, undated, name="Carla")

    candidates = alumni.alumni_candidates(today=TODAY)

    assert [a.user for a in candidates] == [alumna]
    assert candidates[0].labs == [("vastgoed", "Field Lab 2024-2")]


def test_ranking_uses_theme_expertise_and_organisation_with_the_reason(app, make):
    lab = make.make_lab(name="Field Lab 2024-2", theme="vastgoed", programme_ends_on=date(2024, 11, 1))
    other = make.make_lab(name="Field Lab 2023-1", theme="mensenhandel", programme_ends_on=date(2023, 6, 1))
    bank = make.make_organisation("Rabobank", kind="bank", short_name="Rabobank", sector="privaat")
    best = _alumnus(make, lab, name="Anna", expertise=["financieel onderzoek"])
    theme_only = _alumnus(make, lab, name="Bert")
    nothing = _alumnus(make, other, name="Carla", expertise=["jeugdzorg"])
    make.add_participant(other, best)
    bank_person = _alumnus(make, other, name="Dirk", organisation=bank)

    candidates = alumni.alumni_candidates(today=TODAY)
    ranked = alumni.rank_alumni(candidates,
                                text="Misbruik van vastgoed: financieel onderzoek door banken en bank-meldingen")

    assert [s.user for s in ranked] == [best, theme_only, bank_person, nothing]
    assert ranked[0].reason == "thema vastgoed in Field Lab 2024-2, expertise financieel onderzoek"
    assert ranked[2].reason == "organisatie Rabobank"
    assert ranked[3].reasons == []


def test_suggestions_keep_the_organisation_mix_broad(app, make):
    lab = make.make_lab(name="Field Lab 2024-2", theme="vastgoed", programme_ends_on=date(2024, 11, 1))
    police = make.make_organisation("Politie Midden-Nederland")
    tax = make.make_organisation("Belastingdienst")
    cops = [_alumnus(make, lab, name=f"Agent {n}", organisation=police, expertise=["financieel onderzoek"])
            for n in range(3)]
    inspector = _alumnus(make, lab, name="Inspecteur", organisation=tax)

    ranked = alumni.rank_alumni(alumni.alumni_candidates(today=TODAY), text="vastgoed en financieel onderzoek")

    # A police officer fits best, but the second place goes to another organisation.
    assert ranked[0].user in cops
    assert ranked[1].user == inspector
    assert {s.user for s in ranked[2:]} == set(cops) - {ranked[0].user}


def test_suggestions_leave_out_who_is_invited_and_use_the_vraagstuk(app, make):
    lab = make.make_lab(name="Field Lab 2024-2", theme="ondermijning", programme_ends_on=date(2024, 11, 1))
    commissioner = make.make_user(Role.COMMISSIONER)
    problem = make.make_problem(commissioner, theme="ondermijning", expertise_needed=["data-analyse"])
    fits = _alumnus(make, lab, name="Anna", expertise=["data-analyse"])
    invited = _alumnus(make, lab, name="Bert")
    speedlab = make_speedlab(problem=problem, question="Wat kunnen we doen?")
    invitations.invite_alumni(speedlab, [invited], reasons={}, by=speedlab.facilitator, now=speedlab.created_at)

    suggestions = alumni.suggest_alumni(speedlab, today=TODAY)

    assert [s.user for s in suggestions] == [fits]
    assert suggestions[0].reason == "thema ondermijning in Field Lab 2024-2, expertise data-analyse"
