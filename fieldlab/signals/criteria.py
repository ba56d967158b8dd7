"""The Loket's three criteria, and what else a draft needs before it can move on.

A pure function of the draft's fields (an object with the Signal's attribute names, or a
SimpleNamespace in tests): no database, no request, no clock. The detail page shows each
criterion as met or open with the reasons; the state machine refuses to leave "concept" while
anything is open.

The criteria (Landelijk Loket Bestuurlijke Signalen):
1. use or misuse of legal processes for criminal ends;
2. a structural bottleneck, proven often misused or expected to be;
3. meant for national level: a minister can change the rules.
"""

import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

# An explanation is a few words at least: "ja" or "zie boven" does not explain a criterion.
MIN_EXPLANATION = 40
MAX_BOTTLENECK = 300


@dataclass(frozen=True)
class CriterionCheck:
    key: str
    title: object
    missing: list = field(default_factory=list)

    @property
    def met(self) -> bool:
        return not self.missing


def _explained(text: str | None) -> bool:
    return len((text or "").strip()) >= MIN_EXPLANATION


def _filled(text: str | None) -> bool:
    return bool((text or "").strip())


def is_one_sentence(text: str | None) -> bool:
    """One sentence: something written, not too long, at most one sentence ending."""
    text = (text or "").strip()
    return bool(text) and len(text) <= MAX_BOTTLENECK and len(re.findall(r"[.!?](?=\s+\S)", text)) == 0


def check_criteria(draft) -> list[CriterionCheck]:
    """The three criteria, each with the reasons it is still open (empty when met)."""
    misuse = []
    if not _explained(draft.misuse_explanation):
        misuse.append(_l("Leg uit hoe het juridische proces voor criminele doeleinden wordt gebruikt of misbruikt "
                         "(minstens %(count)s tekens).", count=MIN_EXPLANATION))
    if not _filled(draft.legal_process):
        misuse.append(_l("Noem het juridische proces dat wordt misbruikt."))
    if not draft.legal_process_kind:
        misuse.append(_l("Kies wat voor proces het is: wet, regelgeving, subsidie of vergunning."))

    structural = []
    if not _explained(draft.structural_explanation):
        structural.append(_l("Leg uit waarom het een structureel knelpunt is en geen incident "
                             "(minstens %(count)s tekens).", count=MIN_EXPLANATION))
    if not draft.misuse_evidence:
        structural.append(_l("Geef aan of het misbruik vaak voorkomt (aangetoond) of naar verwachting vaak zal "
                             "voorkomen."))
    if not _filled(draft.facts):
        structural.append(_l("Onderbouw het knelpunt met feiten uit het werk."))

    national = []
    if not _explained(draft.national_explanation):
        national.append(_l("Leg uit waarom dit op landelijk niveau speelt (minstens %(count)s tekens).",
                           count=MIN_EXPLANATION))
    if not draft.minister_can_change:
        national.append(_l("Bevestig dat een minister of staatssecretaris de regels kan veranderen."))
    if not [ministry for ministry in (draft.ministries or []) if str(ministry).strip()]:
        national.append(_l("Noem ten minste één bewindspersoon of ministerie aan wie het signaal is gericht."))

    return [
        CriterionCheck("misuse", _l("1. Gebruik of misbruik van juridische processen voor criminele doeleinden"),
                       misuse),
        CriterionCheck("structural", _l("2. Een structureel knelpunt, aantoonbaar of naar verwachting vaak misbruikt"),
                       structural),
        CriterionCheck("national", _l("3. Bedoeld voor landelijk niveau: een bewindspersoon kan de regels veranderen"),
                       national),
    ]


def draft_gaps(draft) -> list:
    """What the draft misses besides the criteria, before the Loket can advise on it."""
    gaps = []
    if not is_one_sentence(draft.bottleneck):
        gaps.append(_l("Beschrijf het structurele knelpunt in één zin (hoogstens %(count)s tekens).",
                       count=MAX_BOTTLENECK))
    if not _filled(draft.measures):
        gaps.append(_l("Stel maatregelen voor."))
    if not (draft.submitters or []):
        gaps.append(_l("Kies ten minste één indienende organisatie."))
    if not (_filled(draft.representative_name) and _filled(draft.representative_email)):
        gaps.append(_l("Noem de strategisch vertegenwoordiger namens wie het signaal wordt ingediend, met e-mailadres."))
    return gaps


def open_items(draft) -> list:
    """Every reason the draft cannot move on yet; empty when it can."""
    return [reason for check in check_criteria(draft) for reason in check.missing] + draft_gaps(draft)
