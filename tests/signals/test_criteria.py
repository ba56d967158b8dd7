"""The three criteria of the Loket as a pure function: each open criterion says why."""

from types import SimpleNamespace

import pytest

from fieldlab.signals.criteria import check_criteria, draft_gaps, is_one_sentence, open_items
from tests.signals.helpers import COMPLETE


def draft(**changes):
    return SimpleNamespace(**{**COMPLETE, "submitters": ["RIEC"], **changes})


def open_keys(d) -> set[str]:
    return {check.key for check in check_criteria(d) if not check.met}


def test_a_complete_draft_meets_all_three_criteria_and_has_nothing_open():
    assert open_keys(draft()) == set()
    assert open_items(draft()) == []


@pytest.mark.parametrize(("changes", "criterion", "reason"), [
    ({"misuse_explanation": "ja"}, "misuse", "Leg uit hoe het juridische proces"),
    ({"legal_process": " "}, "misuse", "Noem het juridische proces"),
    ({"legal_process_kind": ""}, "misuse", "wet, regelgeving, subsidie of vergunning"),
    ({"structural_explanation": ""}, "structural", "structureel knelpunt is en geen incident"),
    ({"misuse_evidence": ""}, "structural", "aangetoond"),
    ({"facts": ""}, "structural", "feiten uit het werk"),
    ({"national_explanation": "landelijk"}, "national", "landelijk niveau"),
    ({"minister_can_change": False}, "national", "de regels kan veranderen"),
    ({"ministries": ["  "]}, "national", "bewindspersoon"),
])
def test_each_open_criterion_says_which_and_why(app, changes, criterion, reason):
    checks = {check.key: check for check in check_criteria(draft(**changes))}
    assert open_keys(draft(**changes)) == {criterion}
    assert any(reason in str(message) for message in checks[criterion].missing)


def test_an_explanation_needs_forty_characters():
    assert open_keys(draft(misuse_explanation="x" * 39)) == {"misuse"}
    assert open_keys(draft(misuse_explanation="x" * 40)) == set()


@pytest.mark.parametrize(("text", "one"), [
    ("Criminelen misbruiken de subsidieregeling", True),
    ("Criminelen misbruiken de subsidieregeling.", True),
    ("Eén zin. En nog een zin.", False),
    ("", False),
    ("x" * 301, False),
])
def test_the_bottleneck_is_one_sentence(text, one):
    assert is_one_sentence(text) is one


def test_the_draft_needs_submitters_a_representative_and_measures(app):  # app: the messages are translated
    gaps = [str(gap) for gap in draft_gaps(draft(submitters=[], representative_email="", measures=""))]
    assert len(gaps) == 3
    assert any("indienende organisatie" in gap for gap in gaps)
    assert any("strategisch vertegenwoordiger" in gap for gap in gaps)
