"""No page's number of SQL statements grows with the data (issue #16).

Every GET route of the URL map (ids from the security walk's world) is requested as a
facilitator, an opdrachtgever, a deelnemer and a leidinggevende, first on a small database (the
world plus one Lab of `fieldlab.scale`), then after nine more Labs are added (ten times the
data). A route whose statement count is higher the second time loads something per row: a
lazy relationship in a loop, a query per Lab, an unpaged list that is fetched in chunks.

The insiders of the world also take part in every added Lab (the deelnemer as participant, with
the leidinggevende as their manager) and the facilitator facilitates them, so their own lists grow
too, not only other people's data.
"""


from flask import g
from sqlalchemy import event, select

from fieldlab import scale
from fieldlab.auth.models import Role, User
from fieldlab.extensions import db
from fieldlab.labs.models import Lab, Participation
from fieldlab.timeutil import local, utcnow
from tests import factories
from tests.security.test_route_walk import build_world, url_for_rule

# Routes left out, with the reason.
SKIPPED = {
    "static": "files, no SQL",
}


class StatementCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args):
        self.count += 1


def _get_urls(app, world) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIPPED:
            continue
        urls.append(url_for_rule(rule, world) if rule.arguments else rule.rule)
    return sorted(set(urls))


def _add_labs(count: int, *, facilitator: User, participant: User, manager: User) -> None:
    first_new = (db.session.scalar(select(db.func.max(Lab.id))) or 0) + 1
    scale.add_labs(count, today=local(utcnow()).date(), facilitator=facilitator, password_hash=factories.password_hash())
    new_labs = db.session.scalars(select(Lab.id).where(Lab.id >= first_new)).all()
    db.session.add_all([Participation(lab_id=lab_id, user_id=participant.id, manager_id=manager.id)
                        for lab_id in new_labs])
    db.session.commit()


def _counts(clients: dict, urls: list[str], counter: StatementCounter) -> dict:
    counts = {}
    for role, client in clients.items():
        for url in urls:
            db.session.expire_all()
            g.pop("_login_user", None)
            counter.count = 0
            response = client.get(url)
            counts[(role, url)] = (counter.count, response.status_code)
    return counts


def test_no_page_runs_more_statements_on_ten_times_the_data(app):
    world = build_world()
    facilitator = db.session.scalar(select(User).where(User.name == "Insider Facilitator"))
    commissioner = db.session.scalar(select(User).where(User.name == "Insider Opdrachtgever"))
    participant = db.session.get(User, world.ids["user_id"])
    manager = factories.make_user(Role.MANAGER, name="Insider Leidinggevende")
    for participation in db.session.scalars(select(Participation).where(Participation.user_id == participant.id)):
        participation.manager_id = manager.id
    db.session.commit()
    _add_labs(1, facilitator=facilitator, participant=participant, manager=manager)

    clients = {}
    for role, user in (("facilitator", facilitator), ("opdrachtgever", commissioner),
                       ("deelnemer", participant), ("leidinggevende", manager)):
        client = app.test_client()
        response = client.post("/inloggen", data={"email": user.email, "password": factories.PASSWORD})
        if response.headers.get("Location", "").endswith("/inloggen/code"):
            response = client.post("/inloggen/code", data={"code": factories.totp_code_for(user)})
        assert response.status_code == 303, role
        clients[role] = client

    urls = _get_urls(app, world)
    counter = StatementCounter()
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        small = _counts(clients, urls, counter)
        _add_labs(9, facilitator=facilitator, participant=participant, manager=manager)
        large = _counts(clients, urls, counter)
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)

    errors = [f"{role} GET {url}: {small[key][1]} → {large[key][1]}" for key in small
              for role, url in [key] if large[key][1] >= 500 or small[key][1] >= 500]
    assert not errors, f"server errors: {errors}"
    grown = [f"{role} GET {url}: {small[(role, url)][0]} → {large[(role, url)][0]} statements"
             for (role, url) in small if large[(role, url)][0] > small[(role, url)][0]]
    assert not grown, "statement counts grow with the data:\n" + "\n".join(grown)
