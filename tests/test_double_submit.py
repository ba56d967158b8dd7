"""Nothing typed is lost: two submits of a form 50 ms apart, against a real threaded server on
the test database (SQLite, or PostgreSQL with FIELDLAB_TEST_DATABASE_URL), as a double click or a
second Enter sends them. The same form render is stored once and both answers are a success; two
different renders are both stored."""

import http.cookiejar
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from fieldlab.boards.models import BoardCard, ProgressUpdate
from fieldlab.evaluations.models import EvaluationResponse
from fieldlab.extensions import db
from fieldlab.speedlabs import invitations as speedlab_invitations
from fieldlab.speedlabs import links
from fieldlab.speedlabs.models import Idea, Phase
from fieldlab.timeutil import utcnow
from tests import factories
from tests.boards.conftest import build_world
from tests.evaluations.conftest import answers_for, link_from_outbox, path_of, programme  # noqa: F401 - fixture
from tests.speedlabs.helpers import make_speedlab, run_to

GAP = 0.05


@pytest.fixture
def server(app):
    app.config.update(SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False, WTF_CSRF_SSL_STRICT=False)
    live = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=live.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{live.server_port}"
    live.shutdown()
    thread.join(timeout=5)


class Browser:
    """Cookies, the CSRF token of the last page, and posts that may run at the same time."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  NoRedirect())

    def get(self, path) -> str:
        with self.opener.open(self.base + path) as response:
            return response.read().decode()

    def post(self, path, data, *, htmx=False) -> tuple[int, str]:
        headers = {"HX-Request": "true"} if htmx else {}
        request = urllib.request.Request(self.base + path, data=urllib.parse.urlencode(data, doseq=True).encode(),
                                         headers=headers)
        try:
            with self.opener.open(request) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def log_in(self, user):
        page = self.get("/inloggen")
        status, _body = self.post("/inloggen", {"csrf_token": token_in(page), "email": user.email,
                                                "password": factories.PASSWORD})
        assert status == 303

    def twice(self, path, first, second, *, htmx=False) -> list[tuple[int, str]]:
        """Two posts GAP seconds apart, the second sent while the first may still be running."""
        results = [None, None]

        def send(index, data):
            results[index] = self.post(path, data, htmx=htmx)

        threads = [threading.Thread(target=send, args=(0, first))]
        threads[0].start()
        time.sleep(GAP)
        threads.append(threading.Thread(target=send, args=(1, second)))
        threads[1].start()
        for thread in threads:
            thread.join(timeout=30)
        return results


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def token_in(page: str, name: str = "csrf_token") -> str:
    return re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]+)"', page).group(1)


def _live_speedlab_with_guest(browser):
    speedlab = make_speedlab()
    speedlab.starts_at = utcnow() - timedelta(minutes=5)
    speedlab.ends_at = utcnow() + timedelta(hours=2)
    guest = speedlab_invitations.invite_guest(speedlab, name="Gijs Gast", email="gijs@example.org",
                                              by=speedlab.facilitator, now=speedlab.created_at)
    run_to(speedlab, Phase.IDEAS, now=utcnow())
    db.session.commit()
    browser.get(f"/speedlabs/deelnemen/{links.make_link_token(guest, links.JOIN)}")
    return speedlab


def _count(model, *where):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize("htmx", [True, False])
def test_a_double_submitted_idea_is_stored_once_and_both_answers_succeed(app, server, htmx):
    browser = Browser(server)
    speedlab = _live_speedlab_with_guest(browser)
    page = browser.get(f"/speedlabs/{speedlab.id}/bord")
    form = {"csrf_token": token_in(page), "submission": token_in(page, "submission"),
            "title": "Notarissen betrekken", "explanation": "Meldplicht uitleggen"}
    results = browser.twice(f"/speedlabs/{speedlab.id}/ideeen", form, form, htmx=htmx)
    assert [status for status, _body in results] == [200, 200] if htmx else [303, 303]
    assert _count(Idea, Idea.session_id == speedlab.id) == 1


def test_two_ideas_typed_quickly_are_both_stored(app, server):
    browser = Browser(server)
    speedlab = _live_speedlab_with_guest(browser)
    first_page = browser.get(f"/speedlabs/{speedlab.id}/bord")
    second_page = browser.get(f"/speedlabs/{speedlab.id}/bord")
    results = browser.twice(
        f"/speedlabs/{speedlab.id}/ideeen",
        {"csrf_token": token_in(first_page), "submission": token_in(first_page, "submission"), "title": "Idee een"},
        {"csrf_token": token_in(second_page), "submission": token_in(second_page, "submission"), "title": "Idee twee"},
        htmx=True)
    assert [status for status, _body in results] == [200, 200]
    db.session.expire_all()
    assert sorted(db.session.scalars(select(Idea.title).where(Idea.session_id == speedlab.id))) == \
        ["Idee een", "Idee twee"]


def test_a_double_submitted_board_card_is_stored_once(app, server):
    world = build_world()
    db.session.commit()
    browser = Browser(server)
    browser.log_in(world.member)
    page = browser.get(f"/teams/{world.team.id}/bord/kaarten/nieuw")
    form = {"csrf_token": token_in(page), "new-card-submission": token_in(page, "new-card-submission"),
            "new-card-title": "Gesprek met de gemeente", "new-card-owner": str(world.member.id)}
    results = browser.twice(f"/teams/{world.team.id}/bord/kaarten", form, form)
    assert [status for status, _body in results] == [303, 303]
    assert _count(BoardCard, BoardCard.title == "Gesprek met de gemeente") == 1


def test_a_double_submitted_progress_update_is_stored_once(app, server):
    world = build_world()
    db.session.commit()
    browser = Browser(server)
    browser.log_in(world.member)
    page = browser.get(f"/teams/{world.team.id}/voortgang")
    form = {"csrf_token": token_in(page), "submission": token_in(page, "submission"), "status": "at_risk",
            "went_well": "Eerste gesprek gevoerd", "stuck": "Geen toegang tot de data"}
    results = browser.twice(f"/teams/{world.team.id}/voortgang", form, form)
    assert [status for status, _body in results] == [303, 303]
    assert _count(ProgressUpdate, ProgressUpdate.challenge_id == world.team.challenge.id) == 1


def test_a_double_submitted_evaluation_is_stored_once_and_the_second_says_received(app, server, programme):  # noqa: F811
    from fieldlab.evaluations import sending

    sending.create_requests(programme.form, sending.recipient_ids(programme.form), now=utcnow())
    db.session.commit()
    browser = Browser(server)
    path = path_of(link_from_outbox(programme.participants[0].email))
    page = browser.get(path)
    form = {"csrf_token": token_in(page), **answers_for(programme.form)}
    results = browser.twice(path, form, form)
    statuses = sorted(status for status, _body in results)
    assert statuses in ([303, 303], [303, 409])
    for status, body in results:
        if status == 409:
            assert "Uw antwoorden zijn al ontvangen" in body
    assert _count(EvaluationResponse, EvaluationResponse.form_id == programme.form.id) == 1
