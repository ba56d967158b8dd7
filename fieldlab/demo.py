"""Demo data for a first start: one Lab of each kind, two teams, a challenge around day 37 and a
login for every role. Names follow the Field Lab facts sheet; people are made up."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from fieldlab.auth.models import Role, User
from fieldlab.auth.services import hash_password
from fieldlab.boards import card_changes, tracking
from fieldlab.boards.models import Challenge, Column, Status
from fieldlab.evaluations import answering, sending
from fieldlab.evaluations import services as evaluations
from fieldlab.expertise.services import store_tags
from fieldlab.extensions import db
from fieldlab.labs.models import (
    Lab,
    LabFacilitator,
    LabKind,
    Level,
    ParticipantProfile,
    Participation,
    ProgrammeDay,
)
from fieldlab.mail.models import MessageStatus, OutboxMessage
from fieldlab.mail.services import withdrawal_reason
from fieldlab.organisations.models import Organisation
from fieldlab.organisations.services import load_reference_list
from fieldlab.outcomes import services as outcomes
from fieldlab.outcomes.models import SustainabilityAnswer
from fieldlab.problems.models import Confidentiality, Problem, ProblemEvent, ProblemEventKind, ProblemStatus
from fieldlab.returndays import decisions as returnday_decisions
from fieldlab.returndays import jobs
from fieldlab.returndays import services as returndays
from fieldlab.returndays.models import ReturnDayJob
from fieldlab.teams.models import Membership, Team, TeamRole
from fieldlab.timeutil import LOCAL_ZONE, utcnow

DEMO_PASSWORD = "fieldlab-demo"
DEMO_DOMAIN = "demo.fieldlab.example"
# Facilitators must use two-factor sign-in. The demo facilitator is enrolled with this published
# key: add it to an authenticator app, or run `fieldlab demo-code` for the current code.
DEMO_TOTP_SECRET = "FIELDLABDEMOCODEFIELDLABDEMOCODE"


@dataclass
class DemoLogin:
    role: str
    email: str
    name: str


def _organisation(name: str, short_name: str = "", kind: str = "", sector: str = "publiek") -> Organisation:
    found = db.session.scalar(select(Organisation).where(Organisation.name == name))
    if found is None:
        found = Organisation(name=name, short_name=short_name or name, kind=kind, sector=sector)
        db.session.add(found)
        db.session.flush()
    return found


def seed_demo(*, today: date) -> list[DemoLogin]:
    """Fill an empty database. Returns the logins to print."""
    load_reference_list()
    tilburg = _organisation("Gemeente Tilburg", "Tilburg", "gemeente")
    breda = _organisation("Gemeente Breda", "Breda", "gemeente")
    bank = _organisation("Rabobank", "Rabobank", "bedrijf", "privaat")
    police = _organisation("Nationale Politie")
    prosecution = _organisation("Openbaar Ministerie")
    tax = _organisation("Belastingdienst")
    ns = _organisation("Nederlandse Spoorwegen")
    liec = _organisation("Landelijk Informatie- en Expertisecentrum")
    riec = _organisation("RIEC Midden-Nederland")
    labour = _organisation("Nederlandse Arbeidsinspectie")
    password_hash = hash_password(DEMO_PASSWORD)

    def person(local_part, name, organisation, roles, level=None, expertise=()):
        user = User(email=f"{local_part}@{DEMO_DOMAIN}", name=name, organisation=organisation,
                    password_hash=password_hash)
        user.set_roles(roles)
        db.session.add(user)
        if level:
            db.session.add(ParticipantProfile(user=user, level=level, expertise=store_tags(expertise)))
        return user

    facilitator = person("facilitator", "Fenna de Vries", liec, [Role.FACILITATOR])
    facilitator.totp_secret = DEMO_TOTP_SECRET
    facilitator.totp_enabled_at = utcnow()
    commissioner = person("opdrachtgever", "Omar Bakker", tilburg, [Role.COMMISSIONER])
    manager = person("leidinggevende", "Lotte Jansen", police, [Role.MANAGER])
    participant = person("deelnemer", "Daan Visser", police, [Role.PARTICIPANT], Level.EXECUTION,
                         ["wijkagent", "mensenhandel"])
    others = [
        person("sanne.smit", "Sanne Smit", tilburg, [Role.PARTICIPANT], Level.POLICY, ["openbare orde", "vergunningen"]),
        person("youssef.elamrani", "Youssef El Amrani", prosecution, [Role.PARTICIPANT], Level.EXPERT,
               ["strafrecht", "mensenhandel"]),
        person("ingrid.mulder", "Ingrid Mulder", tax, [Role.PARTICIPANT], Level.EXPERT, ["financieel onderzoek"]),
        person("peter.dekker", "Peter Dekker", bank, [Role.PARTICIPANT], Level.MANAGEMENT, ["witwassen", "compliance"]),
        person("anouk.bos", "Anouk Bos", breda, [Role.PARTICIPANT], Level.EXECUTION, ["toezicht", "handhaving"]),
        person("kees.vandijk", "Kees van Dijk", ns, [Role.PARTICIPANT], Level.MANAGEMENT, ["veiligheid", "vastgoed"]),
        person("marieke.hendriks", "Marieke Hendriks", riec, [Role.PARTICIPANT], Level.POLICY,
               ["informatie-uitwisseling"]),
        person("ruben.dejong", "Ruben de Jong", labour, [Role.PARTICIPANT], Level.EXECUTION, ["arbeidsuitbuiting"]),
    ]
    db.session.flush()

    teams_lab = Lab(name="Field Lab Mensenhandel 2026", kind=LabKind.TEAMS, theme="mensenhandel",
                    programme_starts_on=today - timedelta(days=40), programme_ends_on=today - timedelta(days=38),
                    place="Utrecht")
    individual_lab = Lab(name="Field Lab Leiderschap in ketens 2026", kind=LabKind.INDIVIDUAL,
                         theme="Preventie met Gezag", programme_starts_on=today + timedelta(days=30),
                         programme_ends_on=today + timedelta(days=32), place="Den Haag")
    speedlab = Lab(name="Speedlab Vastgoed en witwassen", kind=LabKind.SPEEDLAB, theme="vastgoed",
                   programme_starts_on=today + timedelta(days=14), programme_ends_on=today + timedelta(days=14),
                   place="Online")
    for lab in (teams_lab, individual_lab, speedlab):
        lab.facilitator_rows.append(LabFacilitator(user=facilitator))
        day = lab.programme_starts_on
        while day <= lab.programme_ends_on:
            lab.programme_days.append(ProgrammeDay(held_on=day, place=lab.place))
            day += timedelta(days=1)
        db.session.add(lab)
    db.session.flush()

    def moment(days_ago: int) -> datetime:
        return datetime.combine(today - timedelta(days=days_ago), time(10, 0), tzinfo=UTC)

    problem_a = Problem(
        commissioner=commissioner, organisation=tilburg, lab=teams_lab, status=ProblemStatus.ACCEPTED,
        title="Uitbuiting in de schoonmaakbranche",
        description="Signalen van arbeidsuitbuiting bij schoonmaakbedrijven die via onderaanneming werken.",
        facts="Twaalf meldingen in een jaar; drie bedrijven met dezelfde bestuurder.",
        concerns="Slachtoffers melden zich niet; toezicht ziet alleen de hoofdaannemer.",
        theme="mensenhandel", confidentiality=Confidentiality.CONFIDENTIAL, staff_offered=4,
        expertise_needed=store_tags(["arbeidsuitbuiting", "financieel onderzoek", "strafrecht"]),
    )
    problem_b = Problem(
        commissioner=commissioner, organisation=tilburg, lab=teams_lab, status=ProblemStatus.ACCEPTED,
        title="Huisjesmelkers en overbewoning",
        description="Panden met veel arbeidsmigranten, hoge huren en verborgen eigenaren.",
        facts="Veertig adressen in twee wijken; eigenaren wisselen vaak.", concerns="Bewoners zijn afhankelijk.",
        theme="mensenhandel", confidentiality=Confidentiality.INTERNAL, staff_offered=3,
        expertise_needed=store_tags(["vastgoed", "handhaving", "witwassen"]),
    )
    problem_c = Problem(
        commissioner=commissioner, organisation=tilburg, status=ProblemStatus.SUBMITTED,
        title="Ondermijning in het buitengebied",
        description="Leegstaande agrarische panden worden gehuurd voor drugslabs.",
        theme="ondermijning in het buitengebied", confidentiality=Confidentiality.INTERNAL, staff_offered=2,
        expertise_needed=store_tags(["vergunningen", "toezicht"]),
    )
    yes = {key: "ja" for key in ("stuck", "many_partners", "interests")}
    for problem, organisations, submitted in (
        (problem_a, [tilburg, labour, police, prosecution, tax], 80),
        (problem_b, [tilburg, police, bank, riec], 75),
        (problem_c, [tilburg, breda, police], 3),
    ):
        problem.organisations_involved = organisations
        problem.suitability = dict(yes)
        problem.submitted_at = moment(submitted)
        problem.events.append(ProblemEvent(kind=ProblemEventKind.CREATED, actor=commissioner, at=moment(submitted + 2)))
        problem.events.append(ProblemEvent(kind=ProblemEventKind.SUBMITTED, actor=commissioner, at=moment(submitted)))
        if problem.status == ProblemStatus.ACCEPTED:
            problem.decided_at = moment(submitted - 10)
            problem.events.append(ProblemEvent(kind=ProblemEventKind.ACCEPTED, actor=facilitator,
                                               at=moment(submitted - 10)))
            problem.events.append(ProblemEvent(kind=ProblemEventKind.ATTACHED, actor=facilitator,
                                               at=moment(submitted - 11), note=teams_lab.name))
    problem_c.concerns = "Eigenaren weten vaak niet wat er in hun schuur gebeurt; signalen komen laat binnen."
    problem_c.facts = "Vijf ontmantelde drugslabs in twee jaar, alle in verhuurde schuren."
    db.session.add_all([problem_a, problem_b, problem_c])
    db.session.flush()

    members = [participant, *others]
    for user in members:
        db.session.add(Participation(lab=teams_lab, user=user,
                                     manager=manager if user.organisation_id == police.id else None))
    db.session.add(Participation(lab=individual_lab, user=others[0]))
    # An earlier Lab: its participants are alumni, whom a speedlab can invite.
    earlier_lab = Lab(name="Field Lab Vastgoed 2025", kind=LabKind.TEAMS, theme="vastgoed",
                      programme_starts_on=today - timedelta(days=300), programme_ends_on=today - timedelta(days=298),
                      place="Eindhoven")
    earlier_lab.facilitator_rows.append(LabFacilitator(user=facilitator))
    for offset in range(3):
        earlier_lab.programme_days.append(ProgrammeDay(held_on=today - timedelta(days=300 - offset), place="Eindhoven"))
    for user in (others[3], others[5], others[6]):
        earlier_lab.participations.append(Participation(user=user))
    db.session.add(earlier_lab)
    challenge_start = today - timedelta(days=36)  # today is day 37
    for name, problem, people in (("Team Kompas", problem_a, members[:5]), ("Team Baken", problem_b, members[5:])):
        team = Team(lab=teams_lab, problem=problem, name=name)
        for index, user in enumerate(people):
            team.memberships.append(Membership(user=user, role=TeamRole.LEADER if index == 0 else TeamRole.MEMBER))
        team.challenge = Challenge(goal=f"Binnen 100 dagen: {problem.title.lower()} aanpakken met één integrale aanpak.",
                                   starts_on=challenge_start)
        db.session.add(team)
    db.session.flush()
    _fill_board(next(team for team in teams_lab.teams if team.name == "Team Kompas"), today=today)
    _plan_return_days(teams_lab, facilitator=facilitator)
    _evaluate_earlier_lab(earlier_lab)
    _complete_earlier_lab(earlier_lab, commissioner=commissioner, people=(others[3], others[5], others[6]),
                          today=today)
    db.session.flush()
    _close_the_story_of_past_mail(utcnow())
    return [
        DemoLogin("facilitator", facilitator.email, facilitator.name),
        DemoLogin("opdrachtgever", commissioner.email, commissioner.name),
        DemoLogin("deelnemer", participant.email, participant.name),
        DemoLogin("leidinggevende", manager.email, manager.name),
    ]


def _close_the_story_of_past_mail(now: datetime) -> int:
    """The demo's history queues messages at moments in its past (day 1's invitations, the earlier
    Lab's evaluation requests). Left queued, a first start with SMTP would send them about dates
    that have gone; they belong to the story, so they are recorded as sent then. Returns how many."""
    queued = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == MessageStatus.QUEUED)).all()
    past = [message for message in queued if withdrawal_reason(message, now)]
    for message in past:
        message.status = MessageStatus.SENT
        message.sent_at = message.next_attempt_at
        message.attempts = 1
    db.session.flush()
    return len(past)


def is_demo_account(email: str) -> bool:
    return email.endswith("@" + DEMO_DOMAIN)


def _fill_board(team: Team, *, today: date) -> None:
    """Team Kompas on day 37: cards in every column, an indicator, two weekly updates."""
    challenge = team.challenge
    members = [membership.user for membership in team.memberships]
    moment = utcnow() - timedelta(days=30)
    challenge.intervention_plan = ("Samen met de Arbeidsinspectie en de Belastingdienst controleren we "
                                   "onderaannemers, en we bieden slachtoffers een veilige plek om te melden.")
    challenge.team_agreement = "Elke maandag om 9 uur een kwartier stand van zaken; besluiten leggen we vast op het bord."
    challenge.hours_committed = 400
    cards = (
        ("Meldpunt inrichten met de gemeente", Column.DONE, 10, True),
        ("Lijst van onderaannemers samenstellen", Column.DONE, 20, False),
        ("Gezamenlijke controle plannen", Column.DOING, 45, False),
        ("Tolk regelen voor gesprekken", Column.BLOCKED, 40, False),
        ("Signalen delen via het RIEC", Column.PLANNED, 60, False),
        ("Resultaten bespreken met de opdrachtgever", Column.PLANNED, 95, False),
    )
    for index, (title, column, due_day, quick_win) in enumerate(cards):
        card_changes.add_card(challenge, title=title, owner_id=members[index % len(members)].id, due_day=due_day,
                              quick_win=quick_win, column=column, by=members[0], now=moment + timedelta(days=index))
    indicator = tracking.add_indicator(challenge, name="Gecontroleerde onderaannemers", baseline=Decimal(0),
                                       target=Decimal(30), by=members[0], now=moment)
    for days_ago, value in ((21, 4), (14, 9), (7, 13)):
        tracking.record_indicator_value(indicator, measured_on=today - timedelta(days=days_ago), value=Decimal(value),
                                        by=members[0], now=utcnow() - timedelta(days=days_ago))
    tracking.add_progress_update(challenge, status=Status.ON_TRACK,
                                 went_well="Meldpunt staat, eerste meldingen binnen.",
                                 stuck="", help_needed="", hours_spent=60, by=members[0],
                                 now=utcnow() - timedelta(days=14))
    tracking.add_progress_update(challenge, status=Status.AT_RISK, went_well="Lijst van onderaannemers is compleet.",
                                 stuck="Er is geen tolk voor de gesprekken.",
                                 help_needed="Budget voor een tolk, via de leidinggevenden.", hours_spent=75,
                                 by=members[1], now=utcnow() - timedelta(days=2))


def _plan_return_days(lab: Lab, *, facilitator) -> None:
    """Day 1 took place; day 50 is confirmed and its invitations are out; day 100 is proposed.
    The steps that were due by now ran at their moments, as the scheduler would have run them (the
    outbox shows them, recorded as sent then)."""
    for team in lab.teams:
        returndays.plan_return_days(team.challenge, by=facilitator, now=utcnow())
        for day_number in (1, 50):
            return_day = returndays.existing_return_day(lab, team, day_number)
            details = returnday_decisions.Details(
                day=return_day.proposed_on, start=time(10), end=time(15, 30), place="LIEC, Utrecht",
                agenda="Terugblik, voortgang van het bord, afspraken met de leidinggevenden.")
            returnday_decisions.save_return_day(lab=lab, team=team, day_number=day_number, details=details,
                                                by=facilitator,
                                                now=utcnow() - timedelta(days=40 if day_number == 1 else 1))
    db.session.flush()
    # Travel through the story: each step runs at its own moment, as a scheduler that never stopped would.
    now = utcnow()
    for moment in sorted({step.run_at for step in db.session.scalars(select(ReturnDayJob))
                          if step.pending and step.run_at <= now}):
        jobs.run_due(moment)


def _evaluate_earlier_lab(lab: Lab) -> None:
    """Last year's Lab was evaluated: the annual figures have something to show."""
    form = evaluations.create_form(lab=lab, now=utcnow() - timedelta(days=295))
    people = [participation.user_id for participation in lab.participations]
    sending.create_requests(form, people, now=utcnow() - timedelta(days=295))
    for request, grade in zip(form.requests, ("9", "8", "8", "9", "7", "9"), strict=False):
        answers = {}
        for question in form.active_questions:
            if question.kind == "grade":
                answers[question.field_name] = grade if question.is_overall else "8"
            elif question.kind == "choice":
                answers[question.field_name] = question.choices[0]
            else:
                answers[question.field_name] = "Het netwerk met de andere organisaties."
        answering.submit_response(request, answers, now=utcnow() - timedelta(days=290))


# Last year's teams, what they set out to do and what they achieved: the intervention library and
# the Hub's figures start with something in them. (title, theme, expertise, intervention, goal
# reached, explanation, changes, lessons, still in use)
EARLIER_RESULTS = (
    ("Witwassen via vastgoed in de binnenstad", "vastgoed", ["witwassen", "vastgoed", "financieel onderzoek"],
     "Notarissen, makelaars en de gemeente melden opvallende aankopen met contant geld bij één loket; "
     "de Belastingdienst en de bank toetsen ze samen.", "yes",
     "Veertig meldingen in honderd dagen, twaalf panden onderzocht.",
     "Makelaars en notarissen weten waar ze terechtkunnen; de gemeente weigert twee vergunningen.",
     "Begin klein met één wijk en twee notarissen; zorg vroeg voor een convenant over het delen van gegevens.",
     "yes"),
    ("Ondermijning op recreatieparken", "vastgoed", ["toezicht", "handhaving", "vergunningen"],
     "Integrale controles op recreatieparken met gemeente, politie en Belastingdienst, en een gesprek met "
     "elke nieuwe eigenaar van een chalet.", "partly",
     "Drie van de vijf parken gecontroleerd; bij twee ontbrak capaciteit.",
     "Eigenaren van parken melden verdachte verhuur; twee drugslabs opgerold.",
     "Plan de controles met de capaciteit van alle partners, niet alleen van de gemeente.",
     "partly"),
    ("Uitbuiting van arbeidsmigranten in de bouw", "mensenhandel", ["arbeidsuitbuiting", "mensenhandel"],
     "Samen met de Arbeidsinspectie onderaannemers controleren en slachtoffers een veilige plek bieden om te "
     "melden.", "partly", "Twintig van de dertig onderaannemers gecontroleerd.",
     "Arbeidsmigranten melden zich bij het meldpunt; opdrachtgevers controleren hun onderaannemers zelf.",
     "Regel een tolk voordat de eerste gesprekken beginnen.", "yes"),
)


def _complete_earlier_lab(lab: Lab, *, commissioner, people, today: date) -> None:
    """Three teams of last year's Lab finished their challenge and submitted a result; the owners
    answered the six-month question, so no follow-up is due about the past."""
    starts_on = lab.programme_ends_on + timedelta(days=1)
    day_100 = starts_on + timedelta(days=99)
    submitted_at = datetime.combine(day_100, datetime.min.time(), LOCAL_ZONE).replace(hour=16)
    for index, (title, theme, expertise, plan, goal, explanation, changes, lessons, in_use) in enumerate(
            EARLIER_RESULTS):
        leader = people[index % len(people)]
        problem = Problem(commissioner=commissioner, organisation=commissioner.organisation, lab=lab, title=title,
                          theme=theme, expertise_needed=expertise, status=ProblemStatus.ACCEPTED,
                          submitted_at=submitted_at - timedelta(days=160))
        team = Team(lab=lab, problem=problem, name=("Team Sleutel", "Team Duin", "Team Steiger")[index])
        team.memberships.append(Membership(user=leader, role=TeamRole.LEADER))
        team.challenge = Challenge(goal=f"Binnen 100 dagen: {title.lower()} zichtbaar aanpakken.", starts_on=starts_on,
                                   intervention_plan=plan)
        db.session.add_all([problem, team])
        db.session.flush()
        indicator = tracking.add_indicator(team.challenge, name="Meldingen", baseline=Decimal(0), target=Decimal(40),
                                           by=leader, now=submitted_at - timedelta(days=90))
        tracking.record_indicator_value(indicator, measured_on=day_100, value=Decimal(40 if goal == "yes" else 24),
                                        by=leader, now=submitted_at)
        result = outcomes.start_result(team, by=leader, now=submitted_at)
        outcomes.save_result(team, outcomes.ResultInput(
            goal_reached=goal, goal_explanation=explanation, changes=changes, lessons=lessons,
            continuation="De gemeente zet de aanpak voort met vaste contactpersonen.", owner_name=leader.name,
            owner_organisation=leader.organisation.name, owner_email=leader.email, reveals_weakness=index == 0,
            weakness_summary="Contante aankopen van vastgoed via een rechtspersoon zijn moeilijk te herleiden."
            if index == 0 else "",
            indicators=[outcomes.IndicatorInput(indicator.id, outcomes.latest_value(indicator))],
        ), expected_version=result.version, by=leader, now=submitted_at)
        result.commissioner_grade = 8 if goal == "yes" else 7
        result.commissioner_follow_up = "Budget voor nog een jaar, en een vaste trekker."
        result.commissioner_by_id = commissioner.id
        result.commissioner_at = submitted_at
        # Answered before the follow-up could ask: the six-month step is recorded as skipped, never sent.
        db.session.add(SustainabilityAnswer(
            result=result, asked_at=submitted_at + timedelta(days=182), asked_email=leader.email,
            answered_at=submitted_at + timedelta(days=185), still_in_use=in_use,
            led_to="De aanpak is onderdeel van het gewone werk geworden.", spread=index == 0,
            spread_regions="Breda en Den Bosch" if index == 0 else ""))
        db.session.flush()
        outcomes.submit_result(team, by=leader, now=submitted_at)

