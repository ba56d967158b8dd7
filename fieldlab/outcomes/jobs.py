"""The six-month sustainability question as a follow-up step (see fieldlab/followups).

Submitting a result writes the step; the scheduler's follow-up poller runs it once when it is due:
it opens the answer row and queues one mail with a signed single-use link to the owner named
under borging. The step is skipped, with the reason, when it has become pointless: the result
is gone, the owner has no e-mail address, or the question was answered already.
"""

from datetime import datetime, timedelta

from flask_babel import gettext as _

from fieldlab import followups, links
from fieldlab.extensions import db
from fieldlab.mail.services import external_url, queue_message
from fieldlab.outcomes import services
from fieldlab.outcomes.models import TeamResult

KIND = "sustainability_question"
LINK_SALT = "fieldlab.sustainability"
# The owner may answer for a long while: people come back to a mail after the summer.
LINK_MAX_AGE = timedelta(days=120)


def schedule_question(result: TeamResult, *, now: datetime) -> None:
    due = services.sustainability_due(result.team)
    if due is not None:
        followups.schedule(KIND, result.id, due, key=f"{KIND}:{result.id}", now=now)


def sign_link(answer) -> str:
    return links.sign(LINK_SALT, {"a": answer.id, "n": answer.nonce})


def is_late(step, *, now: datetime) -> str | None:
    result = db.session.get(TeamResult, step.subject_id)
    if result is None:
        return _("het resultaat bestaat niet meer")
    if not result.owner_email:
        return _("er is geen e-mailadres van de eigenaar")
    if result.sustainability is not None and result.sustainability.answered_at is not None:
        return _("de vraag is al beantwoord")
    return None


def ask(step, *, now: datetime) -> None:
    result = db.session.get(TeamResult, step.subject_id)
    answer = services.open_sustainability_question(result, now=now)
    queue_message(
        key=f"followup:{step.key}:{answer.id}", to=result.owner_email, template="sustainability_question",
        now=now, owner_name=result.owner_name, team_name=result.team.name, lab_name=result.team.lab.name,
        link=external_url("outcomes.sustainability", token=sign_link(answer)),
        link_days=LINK_MAX_AGE.days,
    )


def register() -> None:
    followups.register(KIND, run=ask, is_late=is_late)
    services.on_submitted(schedule_question)
