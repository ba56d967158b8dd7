"""Hostile input into every form of the app (property-based, hypothesis): the answer is a page with
a Dutch error or a success, never a 500, and whatever was stored is shown escaped afterwards.

The forms are found, not listed: every POST route of the URL map gets every field name any
FlaskForm of the app declares, filled with very long text, control characters, HTML and script,
SQL, wrong types and impossible dates. New routes and forms are covered the day they appear.
"""


from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.teams.models import Membership, Team
from tests import factories
from tests.conftest import Auth
from tests.security.test_route_walk import build_world, url_for_rule

SCRIPT = "<script>alert('fieldlab')</script>"
HOSTILE = st.sampled_from([
    "", " ", "x" * 20_000, "\x00\x01\x02\x1b[31m", "line\r\nBcc: victim@example.org", SCRIPT,
    '"><img src=x onerror=alert(1)>', "'; DROP TABLE \"user\"; --", "-1", "0", "99999999999999999999999",
    "1e309", "NaN", "3.5", "2026-02-30", "0000-00-00", "9999-12-31", "31-12-2026", "25:61", "ja", "on",
    "omhoog", "Ğüñ 🚀 ∑ 漢字", "%(name)s {{ 7*7 }}", "../../etc/passwd", "javascript:alert(1)",
])


def form_field_names() -> list[str]:
    """Every field name of every form of every feature (their routes import their forms)."""
    import importlib
    import importlib.util

    from flask_wtf import FlaskForm

    from fieldlab import FEATURES

    for feature in FEATURES:
        if importlib.util.find_spec(f"{feature}.routes") is not None:  # fieldlab.followups has no pages
            importlib.import_module(f"{feature}.routes")

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    names = set()
    for form_class in subclasses(FlaskForm):
        for name, value in vars(form_class).items():
            if hasattr(value, "field_class"):
                names.add(name)
    names.discard("csrf_token")
    return sorted(names)


# Logging out (or the language switch's redirect) is no form to attack, and would end the attacker's session.
NOT_FORMS = {"static", "auth.logout"}


def post_routes(app):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and rule.endpoint not in NOT_FORMS:
            yield rule


FIELD_NAMES = form_field_names()
assert len(FIELD_NAMES) > 50, "the forms were not found"


# In CI the same examples run every time (the "ci" profile, tests/conftest.py), so a red run means a
# change broke something; on a developer's machine every run tries new ones (and replays failures).
@settings(max_examples=6, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.large_base_example])
@given(data=st.fixed_dictionaries({name: HOSTILE for name in FIELD_NAMES}))
def test_every_form_survives_hostile_input(app, data):
    # Hypothesis runs several examples in one app: the world is built once and then only attacked.
    # The attackers are new in every example: an earlier one may have changed their accounts.
    world = app.extensions.get("fuzz.world") or app.extensions.setdefault("fuzz.world", build_world())
    facilitator = factories.make_user(Role.FACILITATOR)
    commissioner = factories.make_user(Role.COMMISSIONER)
    member = factories.make_user(Role.PARTICIPANT)
    team = db.session.get(Team, world.ids["team_id"])
    team.memberships.append(Membership(user=member))
    factories.add_participant(team.lab, member)
    db.session.commit()
    crashes, statuses = [], []
    for person in (facilitator, member, commissioner):
        client = app.test_client()
        Auth(client).login(person)
        for rule in post_routes(app):
            url = url_for_rule(rule, world) if rule.arguments else rule.rule
            response = client.post(url, data=data)
            if response.status_code == 302 and "/inloggen" in response.location:
                # A form before this one ended the session (a password change): log in again.
                Auth(client).login(person, password=data.get("password") or factories.PASSWORD)
                response = client.post(url, data=data)
            statuses.append(response.status_code)
            if response.status_code >= 500:
                crashes.append(f"{person.name} POST {url} → {response.status_code}")
    assert not crashes, crashes
    # The attack reached the forms: some were refused with a Dutch error, some were accepted.
    assert 422 in statuses and 303 in statuses, statuses

    # Whatever was stored is shown escaped on every page a facilitator can open.
    client = app.test_client()
    Auth(client).login(facilitator)
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or "export" in rule.endpoint:
            continue
        if rule.arguments and not set(rule.arguments) <= set(world.values_for(rule)):
            continue
        response = client.get(url_for_rule(rule, world) if rule.arguments else rule.rule)
        if not response.mimetype.startswith("text/"):
            continue  # PDF, Word and XLSX downloads: no HTML to inject into
        assert SCRIPT not in response.get_data(as_text=True), f"unescaped script on {rule.rule}"

