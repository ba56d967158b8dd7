"""Security checked over the whole app, not per feature: the tests walk `app.url_map`, so a new
route is covered the day it is added.

- Every route with an object id, requested by a logged-in person with no business there (a
  deelnemer of another Lab, of another organisation), answers 403 or 404 and leaks no title or name.
- Every state-changing route refuses a request without a valid CSRF token: see test_web.py.
- Every page sends the security headers and a CSP without inline script, and no page carries
  inline script, inline event handlers or style attributes.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest

from fieldlab.auth.models import Role
from fieldlab.boards import card_changes, tracking
from fieldlab.extensions import db
from fieldlab.mail.models import OutboxMessage
from fieldlab.returndays import decisions, invitations, pack
from fieldlab.speedlabs import preparing
from fieldlab.timeutil import local, utcnow
from tests import factories

# Routes that a stranger may open by design: signed links that carry their own proof, and the
# static files. Everything else with an id in its URL must refuse a stranger.
PUBLIC_BY_TOKEN = {"static", "returndays.rsvp", "evaluations.answer_by_link", "speedlabs.rsvp", "speedlabs.join",
                   "auth.reset_password", "auth.accept_invitation", "agenda.feed", "outcomes.sustainability",
                   "signals.confirm_by_link", "signals.effect_by_link"}


@dataclass
class World:
    """Objects of every kind, owned by insiders; `secrets` are strings a stranger must never see."""

    ids: dict[str, int | str] = field(default_factory=dict)
    # Where two features use the same argument name for different objects: per blueprint.
    ids_by_blueprint: dict[str, dict[str, int]] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)

    def values_for(self, rule) -> dict:
        values = dict(self.ids)
        values.update(self.ids_by_blueprint.get(rule.endpoint.split(".")[0], {}))
        return values


def build_world(now: datetime | None = None) -> World:
    from fieldlab.evaluations import services as evaluations
    from fieldlab.outcomes import services as outcomes
    from fieldlab.problems import services as problems
    from fieldlab.signals import services as signals
    from fieldlab.speedlabs.models import Idea
    from fieldlab.teams import services as teams

    now = now or utcnow()
    today = local(now).date()  # the routes' today, in Amsterdam
    world = World()
    organisation = factories.make_organisation("Gemeente Geheimstad")
    facilitator = factories.make_user(Role.FACILITATOR, name="Insider Facilitator")
    commissioner = factories.make_user(Role.COMMISSIONER, name="Insider Opdrachtgever", organisation=organisation)
    members = [factories.make_user(Role.PARTICIPANT, name=f"Insider Lid {n}", organisation=organisation)
               for n in range(3)]
    lab = factories.make_lab(name="Lab Geheimhouding", facilitators=[facilitator],
                             programme_starts_on=today - timedelta(days=60),
                             programme_ends_on=today - timedelta(days=58))
    problem = factories.make_problem(commissioner, lab=lab, title="Vraagstuk Codenaam Zilvervos",
                                     status="submitted", confidentiality="vertrouwelijk")
    team = factories.make_team(lab, members=members, name="Team Geheim", problem=problem,
                               starts_on=today - timedelta(days=10))
    question = problems.ask_question(problem, "Hoeveel panden precies?", by=facilitator, now=now)
    return_day = decisions.save_return_day(
        lab=lab, team=team, day_number=50,
        details=decisions.Details(day=today + timedelta(days=39), start=time(10), end=time(16),
                                   place="Geheime locatie Zuid", agenda="Agendapunt Zilvervos"),
        by=facilitator, now=now)
    invitations.sync_invitees(return_day, now=now)
    action = pack.add_action(return_day, description="Actie Zilvervos", owner=members[0], owner_name="",
                                   due_on=None, team=team, by=facilitator, now=now)
    form = evaluations.create_form(lab=lab, by=facilitator, now=now, title="Evaluatie Zilvervos")
    speedlab = preparing.create_session(
        title="Speedlab Zilvervos", question="Hoe stoppen we Zilvervos?", context="", by=facilitator, now=now,
        starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=3, hours=2), place="Utrecht",
        online_url="", seats=10, dots_per_participant=3, problem=problem)
    card = card_changes.add_card(team.challenge, title="Kaart Zilvervos", owner_id=members[0].id, by=members[0], now=now)
    indicator = tracking.add_indicator(team.challenge, name="Indicator Zilvervos", baseline=Decimal(0),
                                     target=Decimal(10), by=members[0], now=now)
    draft = teams.get_or_create_draft(lab, by=facilitator, now=now)
    teams.add_pair_rule(lab, first_user_id=members[0].id, second_user_id=members[1].id, kind="apart",
                        expected_version=draft.version, by=facilitator, now=now)
    # A draft result: not in the intervention library, which commissioners of any organisation read.
    result = outcomes.start_result(team, by=members[0], now=now)
    idea = Idea(session_id=speedlab.id, title="Idee Zilvervos", explanation="", created_at=now)
    db.session.add(idea)
    message = OutboxMessage(idempotency_key="walk:1", recipient="geheim@example.org", subject="Onderwerp Zilvervos",
                            body_text="x", body_html="x")
    db.session.add(message)
    signal = signals.create_signal(lab=lab, team=team, by=members[0], now=now,
                                   bottleneck="Signaal Zilvervos over misbruik van vergunningen",
                                   representative_name="Insider Vertegenwoordiger",
                                   representative_email="vertegenwoordiger@example.org")
    db.session.flush()
    world.ids = {
        "user_id": members[0].id, "lab_id": lab.id, "team_id": team.id, "problem_id": problem.id,
        "question_id": question.id, "return_day_id": return_day.id, "invitation_id": return_day.invitations[0].id,
        "action_id": action.id, "form_id": form.id, "session_id": speedlab.id, "message_id": message.id,
        "participation_id": lab.participations[0].id, "day_number": 50, "idea_id": idea.id,
        "direction": "omhoog", "token": "niet-geldig", "card_id": card.id, "indicator_id": indicator.id,
        "rule_id": draft.pair_rules[0].id, "result_id": result.id, "signal_id": signal.id,
        "year": lab.programme_starts_on.year,
    }
    world.ids_by_blueprint = {"evaluations": {"question_id": form.active_questions[0].id}}
    world.secrets = ["Zilvervos", "Team Geheim", "Lab Geheimhouding", "Insider Lid", "Geheime locatie"]
    return world


def object_rules(app, methods):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_BY_TOKEN or not rule.arguments:
            continue
        if rule.methods & methods:
            yield rule


def url_for_rule(rule, world: World) -> str:
    values = world.values_for(rule)
    unknown = [name for name in rule.arguments if name not in values]
    assert not unknown, (f"{rule.endpoint}: no object for {unknown} in build_world(); add one so the "
                         "walk covers this route")
    return rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)[1]


@pytest.fixture
def world(app, now):
    world = build_world(now)
    db.session.commit()
    return world


@pytest.mark.parametrize("stranger_role", [Role.PARTICIPANT, Role.COMMISSIONER, Role.MANAGER])
def test_a_stranger_gets_403_or_404_on_every_object_route_and_learns_nothing(app, client, auth, world,
                                                                              stranger_role):
    elsewhere = factories.make_organisation("Gemeente Elders")
    stranger = factories.make_user(stranger_role, name="Buiten Staander", organisation=elsewhere)
    other_lab = factories.make_lab(name="Ander Lab")
    factories.add_participant(other_lab, stranger)
    db.session.commit()
    auth.login(stranger)

    leaks, allowed = [], []
    for rule in object_rules(app, {"GET", "POST"}):
        url = url_for_rule(rule, world)
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(url, method=method)
        body = response.get_data(as_text=True)
        if response.status_code not in (403, 404):
            allowed.append(f"{method} {url} → {response.status_code}")
        leaked = [secret for secret in world.secrets if secret in body]
        if leaked:
            leaks.append(f"{method} {url}: {leaked}")
    assert not allowed, f"a {stranger_role} with no business there got in: {allowed}"
    assert not leaks, f"pages leaked names or titles to a stranger: {leaks}"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.COMMISSIONER, Role.PARTICIPANT, Role.MANAGER])
def test_every_page_has_security_headers_and_no_inline_script_or_style(app, client, login_as, world, role):
    login_as(role)
    problems = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if rule.arguments and not set(rule.arguments) <= set(world.values_for(rule)):
            continue
        url = url_for_rule(rule, world) if rule.arguments else rule.rule
        response = client.get(url)
        csp = response.headers.get("Content-Security-Policy", "")
        if "script-src 'self'" not in csp or "unsafe-inline" in csp:
            problems.append(f"{url}: CSP {csp!r}")
        if response.headers.get("X-Content-Type-Options") != "nosniff":
            problems.append(f"{url}: no nosniff")
        if response.mimetype == "text/html" and not url.startswith("/evaluatie"):
            body = response.get_data(as_text=True)
            for name, pattern in (("inline script", INLINE_SCRIPT), ("inline handler", INLINE_HANDLER),
                                  ("style attribute", STYLE_ATTRIBUTE)):
                if pattern.search(body) and "mail" not in url:
                    problems.append(f"{url}: {name}")
    assert not problems, problems
