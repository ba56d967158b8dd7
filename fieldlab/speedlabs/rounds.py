"""Running a speedlab: the rounds in which the participants write ideas, the facilitator clusters
them and everyone spends their dots; the ranking that comes out; and afterwards the summary for the
problem owner, the facilitator's notes and an idea turned into a draft vraagstuk.

It stands alone because this is the part several people use at the same moment, on the live
board: every write first takes the session lock (`services.lock_session`) and the database
constraints on ideas and dots (see models.py) are the last word. Nothing here mails the invitees;
only the summary goes to the problem owner, once per revision of the session.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from fieldlab import submissions
from fieldlab.audit.services import record
from fieldlab.auth.models import User
from fieldlab.extensions import db
from fieldlab.mail.services import external_url, queue_message
from fieldlab.problems.models import Confidentiality, Problem, ProblemStatus
from fieldlab.speedlabs.models import (
    TIMED_PHASES,
    Cluster,
    Idea,
    InvitationStatus,
    Phase,
    SpeedlabInvitation,
    SpeedlabSession,
    Vote,
)
from fieldlab.speedlabs.services import SpeedlabError, ensure_not_cancelled, lock_session, participants


class RoundClosed(SpeedlabError):
    pass


class TooManyDots(SpeedlabError):
    status = 422


# --- Running the rounds ----------------------------------------------------------------------

def start_next_round(speedlab: SpeedlabSession, *, minutes: int | None, by: User, now: datetime) -> Phase:
    lock_session(speedlab)
    ensure_not_cancelled(speedlab)
    following = speedlab.phase_enum.next
    if following is None:
        raise SpeedlabError(_("Alle rondes zijn geweest."))
    speedlab.phase = following
    if following in TIMED_PHASES:
        speedlab.round_open = True
        speedlab.round_ends_at = now + timedelta(minutes=minutes or 10)
    else:
        speedlab.round_open = False
        speedlab.round_ends_at = None
    db.session.flush()
    record("speedlab_round_started", actor=by, obj=speedlab, now=now, phase=str(following))
    return following


def stop_round(speedlab: SpeedlabSession, *, by: User, now: datetime) -> None:
    lock_session(speedlab)
    ensure_not_cancelled(speedlab)
    if not speedlab.round_open:
        raise SpeedlabError(_("Er loopt geen ronde."))
    speedlab.round_open = False
    if speedlab.round_ends_at is None or speedlab.round_ends_at > now:
        speedlab.round_ends_at = now
    db.session.flush()


def add_idea(speedlab: SpeedlabSession, *, author: SpeedlabInvitation | None, title: str, explanation: str,
             now: datetime, submission: str | None = None) -> Idea:
    """Store an idea once per form render (`submission`, see fieldlab.submissions): a double
    submit returns the idea the first one stored, even when the round closed in between."""
    lock_session(speedlab)
    ensure_not_cancelled(speedlab)
    earlier = submissions.earlier_result(submission, "speedlab_idea", Idea, now=now,
                                         belongs=lambda idea: idea.session_id == speedlab.id)
    if earlier is not None:
        return earlier
    if speedlab.phase_enum != Phase.IDEAS or not speedlab.accepting(now):
        raise RoundClosed(_("De ideeënronde is gesloten: er kunnen geen ideeën meer bij."))
    idea = Idea(session_id=speedlab.id, author_id=author.id if author else None, title=title.strip(),
                explanation=(explanation or "").strip(), created_at=now)
    db.session.add(idea)
    db.session.flush()
    submissions.record_result(submission, "speedlab_idea", idea.id)
    db.session.expire(speedlab, ["ideas"])
    return idea


def add_cluster(speedlab: SpeedlabSession, *, heading: str, by: User, now: datetime) -> Cluster:
    lock_session(speedlab)
    ensure_not_cancelled(speedlab)
    if speedlab.phase_enum != Phase.CLUSTERING:
        raise RoundClosed(_("Clusteren kan alleen in de clusterronde."))
    position = len(speedlab.clusters)
    cluster = Cluster(session_id=speedlab.id, heading=heading.strip(), position=position)
    db.session.add(cluster)
    db.session.flush()
    db.session.expire(speedlab, ["clusters"])
    return cluster


def move_idea(speedlab: SpeedlabSession, idea: Idea, *, cluster: Cluster | None, position: int | None,
              by: User, now: datetime) -> None:
    """Put an idea under a heading (None: back to 'not yet clustered') at a position."""
    lock_session(speedlab)
    ensure_not_cancelled(speedlab)
    if speedlab.phase_enum != Phase.CLUSTERING:
        raise RoundClosed(_("Clusteren kan alleen in de clusterronde."))
    target_id = cluster.id if cluster else None
    siblings = [i for i in speedlab.ideas if i.cluster_id == target_id and i.id != idea.id]
    siblings.sort(key=lambda i: (i.position, i.id))
    index = len(siblings) if position is None else max(0, min(position, len(siblings)))
    siblings.insert(index, idea)
    idea.cluster_id = target_id
    for number, sibling in enumerate(siblings):
        sibling.position = number
    db.session.flush()


def set_dots(speedlab: SpeedlabSession, voter: SpeedlabInvitation, allocation: dict[int, int], *,
             now: datetime) -> None:
    """Replace this participant's dots. Only while the voting round is open, never more than N;
    each dot is a row whose slot the database keeps within 1..N and unique per participant."""
    lock_session(speedlab)
    ensure_not_cancelled(speedlab)
    if speedlab.phase_enum != Phase.VOTING or not speedlab.accepting(now):
        raise RoundClosed(_("Stemmen kan alleen zolang de stemronde open is."))
    allocation = {int(idea_id): int(count) for idea_id, count in allocation.items() if int(count) != 0}
    if any(count < 0 for count in allocation.values()):
        raise TooManyDots(_("Een aantal stippen kan niet negatief zijn."))
    if sum(allocation.values()) > speedlab.dots_per_participant:
        raise TooManyDots(ngettext("U heeft %(num)s stip; u verdeelde er %(total)s. Haal er %(over)s weg en "
                                    "sla opnieuw op.",
                                    "U heeft %(num)s stippen; u verdeelde er %(total)s. Haal er %(over)s weg en "
                                    "sla opnieuw op.",
                                    speedlab.dots_per_participant, total=sum(allocation.values()),
                                    over=sum(allocation.values()) - speedlab.dots_per_participant))
    idea_ids = {idea.id for idea in speedlab.ideas}
    if not set(allocation) <= idea_ids:
        raise SpeedlabError(_("Dat idee hoort niet bij dit speedlab."))
    db.session.execute(delete(Vote).where(Vote.voter_id == voter.id))
    slot = 0
    for idea_id in sorted(allocation):
        for _count in range(allocation[idea_id]):
            slot += 1
            db.session.add(Vote(session_id=speedlab.id, dots_per_participant=speedlab.dots_per_participant,
                                voter_id=voter.id, idea_id=idea_id, slot=slot, cast_at=now))
    db.session.flush()


def own_dots(speedlab: SpeedlabSession, voter: SpeedlabInvitation | None) -> dict[int, int]:
    if voter is None:
        return {}
    return dict(db.session.execute(
        select(Vote.idea_id, func.count()).where(Vote.session_id == speedlab.id, Vote.voter_id == voter.id)
        .group_by(Vote.idea_id)).all())


def tally(speedlab: SpeedlabSession) -> dict[int, int]:
    return dict(db.session.execute(
        select(Vote.idea_id, func.count()).where(Vote.session_id == speedlab.id).group_by(Vote.idea_id)).all())


def voters_count(speedlab: SpeedlabSession) -> int:
    return db.session.scalar(
        select(func.count(func.distinct(Vote.voter_id))).where(Vote.session_id == speedlab.id))


@dataclass
class RankedIdea:
    rank: int
    idea: Idea
    dots: int


def ranking(speedlab: SpeedlabSession) -> list[RankedIdea]:
    """Ideas by dots, most first; equal dots share a rank (1, 2, 2, 4)."""
    counts = tally(speedlab)
    ordered = sorted(speedlab.ideas, key=lambda idea: (-counts.get(idea.id, 0), idea.id))
    result, previous, rank = [], None, 0
    for index, idea in enumerate(ordered, start=1):
        dots = counts.get(idea.id, 0)
        if dots != previous:
            rank, previous = index, dots
        result.append(RankedIdea(rank=rank, idea=idea, dots=dots))
    return result


def ideas_by_cluster(speedlab: SpeedlabSession) -> list[tuple[Cluster | None, list[Idea]]]:
    """Each heading with its ideas in order, then the ideas not under a heading (None)."""
    groups: dict[int | None, list[Idea]] = defaultdict(list)
    for idea in sorted(speedlab.ideas, key=lambda i: (i.position, i.id)):
        groups[idea.cluster_id].append(idea)
    result = [(cluster, groups.get(cluster.id, [])) for cluster in speedlab.clusters]
    if groups.get(None) or not speedlab.clusters:
        result.append((None, groups.get(None, [])))
    return result


# --- Afterwards --------------------------------------------------------------------------------

def took_part(speedlab: SpeedlabSession) -> list[SpeedlabInvitation]:
    """Who the summary names as participants: those who said they would come and anyone who wrote
    an idea or gave dots. Someone invited who never answered nor joined is not among them: the
    summary goes to the problem owner, who would read the list as who was there."""
    contributed = set(db.session.scalars(select(Idea.author_id).where(Idea.session_id == speedlab.id))) | set(
        db.session.scalars(select(Vote.voter_id).where(Vote.session_id == speedlab.id)))
    return [invitation for invitation in participants(speedlab)
            if invitation.status == InvitationStatus.ACCEPTED or invitation.id in contributed]

def send_summary(speedlab: SpeedlabSession, *, by: User, now: datetime):
    """Mail the summary to the problem owner: question, participants, ideas by cluster, ranking and
    the facilitator's notes (the session's own output; the vraagstuk's facts and concerns stay out)."""
    address = speedlab.owner_address
    if not address:
        raise SpeedlabError(_("Dit speedlab heeft geen probleemeigenaar met een e-mailadres."))
    message = queue_message(
        key=f"speedlab:{speedlab.id}:summary:rev{speedlab.revision}", to=address, template="speedlab_summary",
        locale=speedlab.owner_user.locale if speedlab.owner_user else "nl", now=now,
        speedlab=speedlab, participants=took_part(speedlab), groups=ideas_by_cluster(speedlab),
        ranking=ranking(speedlab), link=external_url("speedlabs.summary", session_id=speedlab.id),
    )
    speedlab.summary_sent_at = now
    record("speedlab_summary_sent", actor=by, obj=speedlab, now=now)
    return message


def save_notes(speedlab: SpeedlabSession, *, notes: str, by: User, now: datetime) -> None:
    speedlab.facilitator_notes = notes.strip()
    db.session.flush()


def idea_to_problem(idea: Idea, *, by: User, now: datetime) -> Problem:
    """A draft vraagstuk pre-filled from the idea. The opdrachtgever is the problem owner when
    they have an account; otherwise the facilitator holds it until someone takes it over."""
    if idea.problem_id is not None:
        raise SpeedlabError(_("Van dit idee is al een vraagstuk gemaakt."))
    speedlab = idea.session
    commissioner = speedlab.owner_user or by
    description = idea.explanation
    source = _("Idee uit speedlab '%(title)s' van %(date)s.", title=speedlab.title,
               date=format_date(speedlab.starts_at, "long"))
    problem = Problem(
        commissioner=commissioner,
        organisation=speedlab.owner_organisation or commissioner.organisation,
        title=idea.title[:200], description=f"{description}\n\n{source}".strip(),
        theme=(speedlab.problem.theme if speedlab.problem else "") or (speedlab.lab.theme if speedlab.lab else ""),
        status=ProblemStatus.DRAFT, confidentiality=Confidentiality.INTERNAL, created_at=now, updated_at=now,
    )
    db.session.add(problem)
    db.session.flush()
    idea.problem_id = problem.id
    db.session.flush()
    record("speedlab_idea_to_problem", actor=by, obj=problem, now=now, idea=idea.id, speedlab=speedlab.id)
    return problem
