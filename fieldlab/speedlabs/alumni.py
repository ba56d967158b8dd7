"""Which alumni to invite to a speedlab: the former participants (`labs.alumni.alumni`), ranked
by how well the themes of their earlier Labs, their expertise and their organisation fit the
question, each with the reason the facilitator reads, and mixed so the top of the list is not one
organisation.

It stands alone because it only reads: a ranking that tests call directly with alumni of their
own making (`rank_alumni`, `diversify`), apart from the session's workflow. Inviting the picked
alumni is `invitations.invite_alumni`.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _

from fieldlab.auth.models import User
from fieldlab.labs import alumni as lab_alumni
from fieldlab.speedlabs.models import SpeedlabSession


@dataclass
class Alumnus:
    """A former participant: someone in a Lab whose programme ended before today."""

    user: User
    expertise: list[str]
    labs: list[tuple[str, str]]  # (theme, Lab name), most recent first

    @property
    def organisation(self):
        return self.user.organisation


@dataclass
class Suggestion:
    alumnus: Alumnus
    score: float
    reasons: list[str] = field(default_factory=list)
    rank_score: float = 0.0

    @property
    def user(self) -> User:
        return self.alumnus.user

    @property
    def reason(self) -> str:
        return ", ".join(self.reasons)


def alumni_candidates(*, today: date, exclude_user_ids=()) -> list[Alumnus]:
    """The alumni (`labs.alumni.alumni`: everyone in a Lab whose programme ended before today),
    as the ranking needs them: expertise tags and earlier Labs as (theme, name), most recent first."""
    excluded = set(exclude_user_ids)
    return [
        Alumnus(user=alumnus.user, expertise=[str(tag) for tag in alumnus.expertise],
                labs=[(lab.theme or "", lab.name) for lab in alumnus.labs])
        for alumnus in lab_alumni.alumni(today=today)
        if alumnus.user.id not in excluded
    ]


THEME_WEIGHT = 3.0
EXPERTISE_WEIGHT = 2.0
ORGANISATION_WEIGHT = 1.0
# Each earlier pick from the same organisation costs this much, so the top of the list mixes organisations.
SAME_ORGANISATION_PENALTY = 2.5
_WORD = re.compile(r"[0-9a-zà-ÿ]+")


def _phrase_matches(phrase: str, text: str, exact_terms: set[str]) -> bool:
    """A theme or expertise tag fits when it is one of the named terms, or when every word of it of
    four letters or more occurs in the question ("vastgoed" fits "vastgoedfraude")."""
    phrase = phrase.strip().lower()
    if not phrase:
        return False
    if phrase in exact_terms or phrase in text:
        return True
    words = [word for word in _WORD.findall(phrase) if len(word) >= 4]
    return bool(words) and all(word in text for word in words)


def rank_alumni(alumni: list[Alumnus], *, text: str, themes=(), expertise=(), organisation_ids=(),
                limit: int = 30) -> list[Suggestion]:
    """Rank by fit of earlier Lab themes, expertise and organisation, each with its reason; then
    pick greedily, penalising organisations already picked, so the top of the list stays mixed."""
    text = (text or "").lower()
    theme_terms = {term.strip().lower() for term in themes if term and term.strip()}
    expertise_terms = {term.strip().lower() for term in expertise if term and term.strip()}
    organisation_ids = {oid for oid in organisation_ids if oid}
    suggestions = []
    for alumnus in alumni:
        score, reasons, seen_themes = 0.0, [], set()
        for theme, lab_name in alumnus.labs:
            key = theme.strip().lower()
            if key and key not in seen_themes and _phrase_matches(theme, text, theme_terms):
                seen_themes.add(key)
                score += THEME_WEIGHT
                reasons.append(_("thema %(theme)s in %(lab)s", theme=theme, lab=lab_name))
        for tag in alumnus.expertise:
            if _phrase_matches(tag, text, expertise_terms):
                score += EXPERTISE_WEIGHT
                reasons.append(_("expertise %(tag)s", tag=tag))
        organisation = alumnus.organisation
        if organisation is not None and (
            organisation.id in organisation_ids
            or _phrase_matches(organisation.short_name or "", text, set())
            or _phrase_matches(organisation.kind or "", text, set())
        ):
            score += ORGANISATION_WEIGHT
            reasons.append(_("organisatie %(name)s", name=organisation.name))
        suggestions.append(Suggestion(alumnus=alumnus, score=score, reasons=reasons))
    return diversify(suggestions, limit=limit)


def _organisation_key(suggestion: Suggestion):
    organisation = suggestion.alumnus.organisation
    return organisation.id if organisation is not None else f"user-{suggestion.user.id}"


def diversify(suggestions: list[Suggestion], *, limit: int) -> list[Suggestion]:
    remaining = list(suggestions)
    picked: list[Suggestion] = []
    per_organisation: Counter = Counter()
    while remaining and len(picked) < limit:
        def adjusted(suggestion):
            return suggestion.score - SAME_ORGANISATION_PENALTY * per_organisation[_organisation_key(suggestion)]

        best = min(remaining, key=lambda s: (-adjusted(s), -s.score, s.user.name.lower(), s.user.id))
        best.rank_score = adjusted(best)
        picked.append(best)
        per_organisation[_organisation_key(best)] += 1
        remaining.remove(best)
    return picked


def suggest_alumni(speedlab: SpeedlabSession, *, today: date, limit: int = 30) -> list[Suggestion]:
    """Alumni not yet invited, ranked for this speedlab's question (and its vraagstuk, if any)."""
    invited = {invitation.user_id for invitation in speedlab.invitations if invitation.user_id}
    excluded = invited | {speedlab.facilitator_id} | ({speedlab.owner_user_id} if speedlab.owner_user_id else set())
    text = " ".join([speedlab.title, speedlab.question, speedlab.context])
    themes: list[str] = []
    expertise: list[str] = []
    organisation_ids = [speedlab.owner_organisation_id]
    if speedlab.problem is not None:
        text += " " + speedlab.problem.title
        themes.append(speedlab.problem.theme)
        expertise.extend(str(tag) for tag in speedlab.problem.expertise_needed or [])
        organisation_ids.append(speedlab.problem.organisation_id)
    if speedlab.lab is not None:
        themes.append(speedlab.lab.theme)
    return rank_alumni(alumni_candidates(today=today, exclude_user_ids=excluded), text=text, themes=themes,
                       expertise=expertise, organisation_ids=organisation_ids, limit=limit)
