"""The main menu is rendered once per language, visible items and current page, then reused
(fieldlab/home/navigation.py): reuse must never show one user's menu to another, nor the wrong
current page or language."""

import re

from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.home.navigation import EXTENSION_KEY
from tests.conftest import Auth


def menu(html: str) -> str:
    return re.search(r'<nav class="site-nav".*?</nav>', html, re.S).group(0)


def links(html: str) -> list[str]:
    return re.findall(r'<a class="site-nav__link" href="([^"]+)"', menu(html))


def current(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)" aria-current="page"', menu(html))


def test_menu_follows_the_user_the_page_and_the_language(app, make):
    facilitator, participant = make.make_user(Role.FACILITATOR), make.make_user(Role.PARTICIPANT)
    db.session.commit()
    clients = {}
    for user in (facilitator, participant):
        clients[user.id] = app.test_client()
        Auth(clients[user.id]).login(user)

    for _ in range(2):  # the second round comes from the cache
        facilitator_home = clients[facilitator.id].get("/").get_data(as_text=True)
        participant_home = clients[participant.id].get("/").get_data(as_text=True)
        assert "/beheer" in links(facilitator_home) and "/beheer" not in links(participant_home)
        assert current(facilitator_home) == current(participant_home) == ["/"]
        assert "U bent hier: </span>Start</span>" in menu(participant_home)
        assert ">Uitloggen</button>" in participant_home and ">Naar de inhoud</a>" in participant_home
        assert '<link rel="stylesheet" href="/static/css/app.css">' in participant_home
        labs = clients[facilitator.id].get("/labs").get_data(as_text=True)
        assert current(labs) == ["/labs"] and "U bent hier: </span>Labs</span>" in menu(labs)
        # Mijn profiel lives in the labs blueprint, but is its own item.
        profile = clients[participant.id].get("/mijn-profiel").get_data(as_text=True)
        assert current(profile) == ["/mijn-profiel"]
    assert app.extensions[EXTENSION_KEY]

    clients[participant.id].post("/taal", data={"locale": "en", "next": "/"})
    english = clients[participant.id].get("/").get_data(as_text=True)
    assert ">My account</a>" in menu(english) and "Hoofdmenu" not in menu(english)
    # The rest of the layout (fieldlab/templates/_layout.html) follows the language too.
    assert ">Log out</button>" in english and "Uitloggen" not in english
    assert 'data-htmx-forbidden="You are not' in english
    assert ">Mijn account</a>" in menu(clients[facilitator.id].get("/").get_data(as_text=True))


def test_a_changed_role_changes_the_menu_at_once(app, make, client, auth):
    user = make.make_user(Role.PARTICIPANT)
    db.session.commit()
    auth.login(user)
    assert "/vraagstukken/" not in links(client.get("/").get_data(as_text=True))
    user.set_roles([Role.PARTICIPANT, Role.COMMISSIONER])
    db.session.commit()
    assert "/vraagstukken/" in links(client.get("/").get_data(as_text=True))
