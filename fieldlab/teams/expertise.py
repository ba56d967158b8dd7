"""A facilitator merges two spellings of one expertise ("juridisch advies" into "Juridisch"): every
profile and vraagstuk that has the one gets the other, and the old spelling keeps pointing at the
new one so nobody brings it back by typing it. Lives with team formation because that is where
a split tag shows ("mist expertise ...") and because it rewrites profiles (labs) and vraagstukken
(problems), which the expertise package below them may not import."""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from fieldlab.audit.services import record
from fieldlab.expertise import services as tags
from fieldlab.extensions import db
from fieldlab.labs.models import Lab, ParticipantProfile
from fieldlab.problems.models import Problem
from fieldlab.teams.services import DraftError, participations_of
from fieldlab.timeutil import utcnow


@dataclass
class MergeResult:
    source: str
    target: str
    profiles: int
    problems: int


def tags_in_lab(lab: Lab) -> list[str]:
    """The spellings the facilitator sees on this Lab: its participants' expertise and the
    expertise its vraagstukken need, as shown today, alphabetically."""
    labels = []
    for participation in participations_of(lab):
        profile = getattr(participation.user, "profile", None)
        labels.extend(profile.expertise or [] if profile else [])
    for problem in lab.problems:
        labels.extend(problem.expertise_needed or [])
    for team in lab.teams:
        labels.extend(team.problem.expertise_needed or [] if team.problem else [])
    return sorted(tags.display_labels(labels), key=tags.tag_key)


def _replace(stored: list, source_key: str, target_label: str) -> list[str] | None:
    if not any(tags.tag_key(tag) == source_key for tag in stored or ()):
        return None
    replaced = [target_label if tags.tag_key(tag) == source_key else tag for tag in stored]
    return list(dict.fromkeys(replaced))


def merge_tags(*, source: str, target: str, by, now: datetime | None = None) -> MergeResult:
    """Merge spelling `source` into `target` everywhere (all Labs: tags are shared), audited."""
    now = now or utcnow()
    source_key, target_key = tags.tag_key(source), tags.tag_key(target)
    if not source_key or not target_key:
        raise DraftError(_("Kies twee spellingen om samen te voegen."))
    tags.store_tags([source, target], now=now)
    known = tags.tags_by_key([source_key, target_key])
    source_tag, target_tag = known[source_key], known[target_key]
    if source_tag is target_tag:
        raise DraftError(_("‘%(source)s’ en ‘%(target)s’ zijn al dezelfde expertise.",
                           source=tags.clean_label(source), target=target_tag.label))
    profiles = problems = 0
    for profile in db.session.scalars(select(ParticipantProfile)):
        replaced = _replace(profile.expertise, source_tag.key, target_tag.label)
        if replaced is not None:
            profile.expertise = replaced
            profiles += 1
    for problem in db.session.scalars(select(Problem)):
        replaced = _replace(problem.expertise_needed, source_tag.key, target_tag.label)
        if replaced is not None:
            problem.expertise_needed = replaced
            problems += 1
    source_tag.merged_into = target_tag
    result = MergeResult(source=source_tag.label, target=target_tag.label, profiles=profiles, problems=problems)
    record("expertise_merged", actor=by, obj=target_tag, now=now, source=result.source, target=result.target,
           profiles=profiles, problems=problems)
    db.session.flush()
    return result
