"""Vraagstukken: write, submit, review, decide and attach to a Lab; who sees which in lists.

Services take the acting user and the time explicitly and flush; the route commits. No message
sent from here carries a vraagstuk's facts or concerns: only its title's existence and a link.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm.exc import StaleDataError

from fieldlab.audit import services as audit
from fieldlab.auth.models import Role, User, UserRole
from fieldlab.expertise import services as expertise
from fieldlab.extensions import db
from fieldlab.labs.models import Lab, LabKind
from fieldlab.mail.services import external_url, queue_message
from fieldlab.organisations import services as organisations
from fieldlab.organisations.models import Organisation
from fieldlab.problems import hooks
from fieldlab.problems.models import (
    Confidentiality,
    Problem,
    ProblemEvent,
    ProblemEventKind,
    ProblemQuestion,
    ProblemStatus,
    SuitabilityAnswer,
)
from fieldlab.teams.models import Team
from fieldlab.timeutil import utcnow


class ProblemError(Exception):
    """A domain rule refused the action; `message` is Dutch and shown to the user."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class StaleProblem(ProblemError):
    """Someone else changed the vraagstuk since this form was loaded."""

    def __init__(self, problem: Problem | None = None):
        super().__init__(_l("Iemand anders heeft dit vraagstuk intussen gewijzigd. Uw invoer staat hieronder nog; "
                            "vergelijk met de nieuwe versie en sla opnieuw op."))
        self.problem = problem


# --- The "is a Field Lab the right tool" questions ----------------------------------------------

@dataclass(frozen=True)
class SuitabilityQuestion:
    key: str
    text: object  # lazy string


FIELD_LAB_QUESTIONS = (
    SuitabilityQuestion("stuck", _l("Gaat het om een ingewikkeld veiligheidsprobleem waarbij de betrokkenen vastlopen?")),
    SuitabilityQuestion("many_partners", _l("Maken de vele aanpakken of de vele partners het moeilijk om in actie te "
                                            "komen?")),
    SuitabilityQuestion("collaboration", _l("Wilt u de samenwerking trainen met professionals van andere publieke en "
                                            "private organisaties?")),
    SuitabilityQuestion("public_values", _l("Wilt u 'Publieke Waarden'-denken trainen: aanknopingspunten vinden voor "
                                            "een complex maatschappelijk probleem zonder duidelijke eigenaar?")),
    SuitabilityQuestion("interests", _l("Staan verschillende belangen of prestatieafspraken van organisaties de "
                                        "aanpak in de weg?")),
    SuitabilityQuestion("new_partnership", _l("Wilt u een nieuw samenwerkingsverband goed laten starten?")),
)
# The seventh question is not one of the Hub's six "is a Field Lab the right tool" questions: it
# asks which form fits, and only a speedlab answers it.
QUICK_IDEAS = SuitabilityQuestion(
    "quick_ideas", _l("Zoekt u vooral snel nieuwe ideeën van ervaren mensen, in één denksessie van een paar uur?"))
SUITABILITY_QUESTIONS = (*FIELD_LAB_QUESTIONS, QUICK_IDEAS)
SUITABILITY_KEYS = tuple(question.key for question in SUITABILITY_QUESTIONS)
FIELD_LAB_KEYS = tuple(question.key for question in FIELD_LAB_QUESTIONS)

_REASONS = {
    "stuck": _l("Het probleem zit vast: een Field Lab brengt nieuwe mensen en een nieuwe aanpak bij elkaar."),
    "many_partners": _l("Er zijn veel partners of aanpakken: een gemengd team maakt samen één plan en voert het uit."),
    "collaboration": _l("U wilt samenwerking over organisaties heen trainen: deelnemers leren dat in het "
                        "programma, ook los van één vraagstuk."),
    "public_values": _l("U wilt 'Publieke Waarden'-denken trainen: dat leren deelnemers in het programma."),
    "interests": _l("Belangen of prestatieafspraken botsen: in een team van alle betrokken organisaties komen ze "
                    "op tafel."),
    "new_partnership": _l("U start een nieuw samenwerkingsverband: de 100-dagenchallenge zet het meteen aan het werk."),
}


@dataclass
class Advice:
    """Which kind of Lab fits best, and why. Advice for the opdrachtgever, never a gate.

    `missing` holds the questions answered "weet ik niet" or not at all: with no "ja" among the
    six, they make the advice "not enough information yet" rather than "not a Field Lab"."""

    kind: LabKind | None
    reasons: list = field(default_factory=list)
    answered: int = 0
    yes_count: int = 0
    missing: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    not_suitable: bool = False

    @property
    def kind_label(self) -> str:
        return self.kind.label if self.kind else ""

    @property
    def summary(self) -> str:
        if self.answered == 0:
            # Said where the questions are (the form) and where they are not (the vraagstuk's page).
            return str(_l("Nog geen vraag beantwoord: met de antwoorden ziet u hier welk soort Lab het beste past."))
        if self.kind is not None:
            return str(_l("Advies: een %(kind)s.", kind=self.kind.label))
        if self.not_suitable:
            return str(_l("Op grond van uw antwoorden lijkt een Field Lab niet het eerste middel. U kunt het "
                          "vraagstuk toch indienen: de facilitator bespreekt het graag met u."))
        return str(_l("Nog niet genoeg informatie voor een advies. Het advies hangt af van de vragen die nog "
                      "open staan of waarop u 'weet ik niet' antwoordde:"))


def suitability_advice(answers: dict, *, staff_offered: int = 0, alumni_available: bool = False) -> Advice:
    """Teams fit a stuck, multi-partner problem with people to work on it for 100 days; individual
    participants fit a wish to train collaboration or Publieke Waarden thinking; a speedlab fits
    when quick ideas from experienced people are wanted and there are alumni to invite
    (`alumni_available`, from `labs.alumni.alumni`).

    "Weet ik niet" is not "nee": only six times "nee" says a Field Lab is not the first tool; with
    no "ja" and some questions open the advice says which answers it still needs."""
    yes = {key for key in SUITABILITY_KEYS if answers.get(key) == SuitabilityAnswer.YES}
    no = {key for key in SUITABILITY_KEYS if answers.get(key) == SuitabilityAnswer.NO}
    answered = sum(1 for key in SUITABILITY_KEYS if answers.get(key) in set(SuitabilityAnswer))
    advice = Advice(kind=None, answered=answered, yes_count=len(yes))
    if answered == 0:
        return advice
    open_keys = [key for key in FIELD_LAB_KEYS if key not in yes and key not in no]
    questions = {question.key: question.text for question in SUITABILITY_QUESTIONS}
    if "quick_ideas" in yes and alumni_available:
        advice.kind = LabKind.SPEEDLAB
        advice.reasons = [_l("U zoekt snel nieuwe ideeën van ervaren mensen: in een speedlab van een paar uur "
                             "bedenken oud-deelnemers van eerdere Field Labs samen met u nieuwe aanpakken."),
                          _l("Er zijn oud-deelnemers die de Field Lab Hub voor een speedlab kan uitnodigen.")]
        advice.reasons += [_REASONS[key] for key in FIELD_LAB_KEYS if key in yes & {"stuck", "many_partners"}]
        return advice
    if "quick_ideas" in yes:
        advice.notes.append(_l("Een speedlab past bij snel ideeën van ervaren mensen, maar er zijn nog geen "
                               "oud-deelnemers om uit te nodigen."))
    field_lab_yes = yes & set(FIELD_LAB_KEYS)
    if not field_lab_yes:
        if open_keys:
            advice.missing = [questions[key] for key in open_keys]
        else:
            advice.not_suitable = True
        return advice
    team_keys = field_lab_yes & {"stuck", "many_partners", "interests", "new_partnership"}
    individual_keys = field_lab_yes & {"collaboration", "public_values"}
    team_score = len(team_keys) + (1 if staff_offered >= 3 else 0)
    if team_score >= len(individual_keys) * 1.5:
        advice.kind = LabKind.TEAMS
        advice.reasons = [_REASONS[key] for key in FIELD_LAB_KEYS if key in team_keys]
        if staff_offered >= 3:
            advice.reasons.append(_l("U stelt %(count)s medewerkers beschikbaar: genoeg voor een team.",
                                     count=staff_offered))
    else:
        advice.kind = LabKind.INDIVIDUAL
        advice.reasons = [_REASONS[key] for key in FIELD_LAB_KEYS if key in individual_keys]
    if open_keys:
        advice.notes.append(_l("Nog open of 'weet ik niet': %(count)s van de 6 vragen. Met die antwoorden kan het "
                               "advies nog veranderen.", count=len(open_keys)))
    return advice


# --- Writing a vraagstuk ----------------------------------------------------------------------

@dataclass
class ProblemData:
    """What the opdrachtgever fills in; the form builds it, the service applies it."""

    title: str
    description: str = ""
    facts: str = ""
    concerns: str = ""
    theme: str = ""
    organisation_ids: list[int] = field(default_factory=list)
    staff_offered: int = 0
    staff_names: str = ""
    expertise_needed: list[str] = field(default_factory=list)
    desired_start: date | None = None
    confidentiality: str = Confidentiality.INTERNAL
    suitability: dict = field(default_factory=dict)
    new_organisation_name: str = ""
    new_organisation_kind: str = ""


def parse_tags(text: str) -> list[str]:
    """'vastgoed, Witwassen , VASTGOED' -> ['vastgoed', 'Witwassen'] (see fieldlab.expertise)."""
    return expertise.parse_tags(text)


def record_event(problem: Problem, kind: ProblemEventKind, *, by: User | None, now: datetime,
                 note: str = "") -> ProblemEvent:
    # Through the many-to-one side: appending to `problem.events` would load the collection, and
    # that load's autoflush could hit a concurrent edit outside the version guard.
    event = ProblemEvent(problem=problem, kind=kind.value, actor_id=getattr(by, "id", None), at=now, note=note)
    db.session.add(event)
    return event


def _apply(problem: Problem, data: ProblemData, *, by: User, now: datetime) -> None:
    problem.title = data.title.strip()
    problem.description = data.description.strip()
    problem.facts = data.facts.strip()
    problem.concerns = data.concerns.strip()
    problem.theme = " ".join(data.theme.split())
    problem.staff_offered = data.staff_offered or 0
    problem.staff_names = data.staff_names.strip()
    problem.expertise_needed = expertise.store_tags(data.expertise_needed, now=now)
    problem.desired_start = data.desired_start
    problem.confidentiality = Confidentiality(data.confidentiality).value
    problem.suitability = {key: data.suitability[key] for key in SUITABILITY_KEYS if data.suitability.get(key)}
    ids = set(data.organisation_ids)
    if data.new_organisation_name.strip():
        sector = dict(organisations.kinds()).get(data.new_organisation_kind, "publiek")
        added = organisations.add_organisation(name=data.new_organisation_name, short_name="",
                                               kind=data.new_organisation_kind, sector=sector, by=by, now=now)
        ids.add(added.id)
    problem.organisations_involved = list(db.session.scalars(
        select(Organisation).where(Organisation.id.in_(ids))
    )) if ids else []


def create_problem(data: ProblemData, *, by: User, now: datetime | None = None, submit: bool = False) -> Problem:
    now = now or utcnow()
    problem = Problem(commissioner=by, organisation_id=by.organisation_id, status=ProblemStatus.DRAFT,
                      created_at=now, updated_at=now)
    _apply(problem, data, by=by, now=now)
    db.session.add(problem)
    record_event(problem, ProblemEventKind.CREATED, by=by, now=now)
    db.session.flush()
    if submit:
        submit_problem(problem, by=by, now=now)
    return problem


@contextmanager
def _version_guard():
    """The database refuses the UPDATE when another transaction raised the version first; that
    may surface at any (auto)flush inside the block. The caller rolls the session back (the
    route does, before re-rendering the form)."""
    try:
        yield
        db.session.flush()
    except StaleDataError as error:
        raise StaleProblem() from error


def check_version(problem: Problem, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != problem.version:
        raise StaleProblem(problem)


def update_problem(problem: Problem, data: ProblemData, *, expected_version: int | None, by: User,
                   now: datetime | None = None, submit: bool = False) -> Problem:
    """Save the opdrachtgever's edit, unless the vraagstuk changed since the form was loaded (the
    form's version) or changes between our read and our write (the version column's WHERE)."""
    now = now or utcnow()
    if not problem.is_open_for_edit:
        raise ProblemError(_l("Dit vraagstuk is al beoordeeld en kan niet meer worden gewijzigd."))
    check_version(problem, expected_version)
    with _version_guard():
        _apply(problem, data, by=by, now=now)
        problem.updated_at = now
        record_event(problem, ProblemEventKind.EDITED, by=by, now=now)
    if submit and problem.status == ProblemStatus.DRAFT:
        submit_problem(problem, by=by, now=now)
    return problem


def missing_for_submission(problem: Problem) -> list[str]:
    """What a facilitator needs before reviewing: a description, the facts and the concerns."""
    missing = []
    if not problem.description:
        missing.append(str(_l("een omschrijving")))
    if not problem.facts:
        missing.append(str(_l("de feiten")))
    if not problem.concerns:
        missing.append(str(_l("de zorgen")))
    return missing


def submit_problem(problem: Problem, *, by: User, now: datetime | None = None) -> None:
    now = now or utcnow()
    if problem.status != ProblemStatus.DRAFT:
        raise ProblemError(_l("Dit vraagstuk is al ingediend."))
    missing = missing_for_submission(problem)
    if missing:
        raise ProblemError(_l("Vul nog in: %(missing)s. Daarna kunt u indienen.", missing=", ".join(missing)))
    with _version_guard():
        problem.status = ProblemStatus.SUBMITTED
        problem.submitted_at = now
        problem.updated_at = now
        record_event(problem, ProblemEventKind.SUBMITTED, by=by, now=now)
    for facilitator in _facilitators():
        queue_message(
            key=f"problem-submitted:problem{problem.id}:user{facilitator.id}", to=facilitator.email,
            template="problem_submitted", locale=facilitator.locale, now=now, user=facilitator,
            organisation=problem.organisation.name if problem.organisation else "",
            link=external_url("problems.detail", problem_id=problem.id),
        )


def withdraw_problem(problem: Problem, *, expected_version: int | None, by: User,
                     now: datetime | None = None) -> None:
    now = now or utcnow()
    if not problem.is_open_for_edit:
        raise ProblemError(_l("Een beoordeeld vraagstuk kan niet meer worden ingetrokken."))
    check_version(problem, expected_version)
    with _version_guard():
        problem.status = ProblemStatus.WITHDRAWN
        problem.updated_at = now
        record_event(problem, ProblemEventKind.WITHDRAWN, by=by, now=now)


def _facilitators() -> list[User]:
    return list(db.session.scalars(
        select(User).join(UserRole).where(UserRole.role == Role.FACILITATOR, User.active.is_(True)).order_by(User.id)
    ))


# --- Review by a facilitator ------------------------------------------------------------------

def _recipients(problem: Problem) -> list[User]:
    people = [problem.commissioner] if problem.commissioner and problem.commissioner.active else []
    return people


def ask_question(problem: Problem, text: str, *, by: User, now: datetime | None = None) -> ProblemQuestion:
    """Ask the opdrachtgever something back; they are mailed a link and answer on the page."""
    now = now or utcnow()
    if problem.status != ProblemStatus.SUBMITTED:
        raise ProblemError(_l("U kunt alleen een vraag stellen over een ingediend vraagstuk."))
    question = ProblemQuestion(question=text.strip(), asked_by_id=by.id, asked_at=now)
    problem.questions.append(question)
    record_event(problem, ProblemEventKind.QUESTION, by=by, now=now)
    db.session.flush()
    for person in _recipients(problem):
        queue_message(
            key=f"problem-question:question{question.id}:user{person.id}", to=person.email,
            template="problem_question", locale=person.locale, now=now, user=person, asker=by,
            link=external_url("problems.detail", problem_id=problem.id, _anchor="problems-questions"),
        )
    return question


def answer_question(question: ProblemQuestion, text: str, *, by: User, now: datetime | None = None) -> None:
    now = now or utcnow()
    if question.answered_at is not None:
        raise ProblemError(_l("Deze vraag is al beantwoord."))
    question.answer = text.strip()
    question.answered_by_id = by.id
    question.answered_at = now
    record_event(question.problem, ProblemEventKind.ANSWER, by=by, now=now)
    db.session.flush()
    asker = question.asked_by
    if asker is not None and asker.active:
        queue_message(
            key=f"problem-answer:question{question.id}", to=asker.email, template="problem_answered",
            locale=asker.locale, now=now, user=asker,
            link=external_url("problems.detail", problem_id=question.problem_id, _anchor="problems-questions"),
        )


def _decide(problem: Problem, status: ProblemStatus, kind: ProblemEventKind, reason: str, *,
            expected_version: int | None, by: User, now: datetime) -> None:
    if problem.status != ProblemStatus.SUBMITTED:
        raise ProblemError(_l("Over dit vraagstuk is al besloten of het is ingetrokken."))
    check_version(problem, expected_version)
    with _version_guard():
        problem.status = status
        problem.decided_at = now
        problem.decision_reason = reason.strip()
        problem.updated_at = now
        record_event(problem, kind, by=by, now=now, note=problem.decision_reason)
    audit.record(f"problem_{kind.value}", actor=by, obj=problem, now=now)
    for person in _recipients(problem):
        queue_message(
            key=f"problem-decision:problem{problem.id}:{status.value}:user{person.id}", to=person.email,
            template="problem_decision", locale=person.locale, now=now, user=person,
            accepted=status == ProblemStatus.ACCEPTED,
            link=external_url("problems.detail", problem_id=problem.id),
        )


def accept_problem(problem: Problem, *, reason: str = "", expected_version: int | None = None, by: User,
                   now: datetime | None = None) -> None:
    _decide(problem, ProblemStatus.ACCEPTED, ProblemEventKind.ACCEPTED, reason,
            expected_version=expected_version, by=by, now=now or utcnow())


def reject_problem(problem: Problem, *, reason: str, expected_version: int | None = None, by: User,
                   now: datetime | None = None) -> None:
    """The reason is shown to the opdrachtgever on the page; the e-mail only links to it."""
    if not reason.strip():
        raise ProblemError(_l("Geef een reden: de opdrachtgever ziet die bij het vraagstuk."))
    _decide(problem, ProblemStatus.REJECTED, ProblemEventKind.REJECTED, reason,
            expected_version=expected_version, by=by, now=now or utcnow())


def attach_to_lab(problem: Problem, lab: Lab | None, *, by: User, now: datetime | None = None) -> None:
    """Attach an accepted vraagstuk to a Lab (or detach it with `lab=None`)."""
    now = now or utcnow()
    if problem.status != ProblemStatus.ACCEPTED:
        raise ProblemError(_l("Alleen een geaccepteerd vraagstuk kan aan een Lab worden gekoppeld."))
    with _version_guard():
        if lab is None:
            if problem.lab is not None:
                record_event(problem, ProblemEventKind.DETACHED, by=by, now=now, note=problem.lab.name)
            problem.lab = None
        elif problem.lab_id != lab.id:
            problem.lab = lab
            record_event(problem, ProblemEventKind.ATTACHED, by=by, now=now, note=lab.name)
        problem.updated_at = now


# --- What came out of it: Lab, teams and (from the returndays feature) the next terugkomdag ----

@dataclass
class NextReturnDay:
    """What the vraagstuk page shows about the next terugkomdag of a team working on it."""

    starts_at: datetime
    label: str
    place: str = ""
    url: str | None = None


def next_return_day(problem: Problem, *, today: date, viewer: User) -> NextReturnDay | None:
    """The earliest answer to `hooks.next_return_day_wanted` (the returndays feature sits above)."""
    found = [day for _receiver, day in hooks.next_return_day_wanted.send(problem, today=today, viewer=viewer)
             if day is not None]
    return min(found, key=lambda day: day.starts_at) if found else None


def teams_for(problem: Problem) -> list[Team]:
    if problem.lab is None:
        return []
    return [team for team in problem.lab.teams if team.problem_id == problem.id]


def labs_to_attach(*, today: date) -> list[Lab]:
    """Labs a vraagstuk can go to: those whose programme has not ended yet, newest first."""
    return list(db.session.scalars(
        select(Lab).where(or_(Lab.programme_ends_on.is_(None), Lab.programme_ends_on >= today))
        .order_by(Lab.programme_starts_on.desc().nulls_first(), Lab.name)
    ))
