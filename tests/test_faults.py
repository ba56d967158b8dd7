"""Faults against a real server process: killed in the middle of a burst of writes, and SQLite
with a handful of concurrent writers. The server is `python -m waitress` on fieldlab:create_app,
on a free loopback port, against the test database (or its own SQLite file)."""

import concurrent.futures
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlencode

from sqlalchemy import select

from fieldlab.boards.models import BoardCard, BoardEvent, EventKind
from fieldlab.extensions import db
from fieldlab.timeutil import local, utcnow
from tests.conftest import SECRET_KEY, free_port, make_test_app
from tests.factories import PASSWORD


def start_server(database_url: str, instance, port: int) -> subprocess.Popen:
    environment = {**os.environ, "DATABASE_URL": database_url, "FIELDLAB_INSTANCE_PATH": str(instance),
                   "SECRET_KEY": SECRET_KEY, "SESSION_COOKIE_SECURE": "0", "RATELIMIT_STORAGE_URI": "memory://",
                   "SMTP_HOST": ""}
    environment.pop("FIELDLAB_TEST_DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "waitress", f"--listen=127.0.0.1:{port}", "--threads=8",
         "--call", "fieldlab:create_app"],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stderr.read().decode()[-2000:]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.05)  # waiting for the port, nothing else
    server.kill()
    raise AssertionError("the server did not start")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.kill()
    server.wait()
    server.stderr.close()


class Browser:
    """One person over HTTP: the session cookie and the CSRF token of the last page."""

    def __init__(self, port: int):
        self.port, self.cookie, self.csrf = port, "", ""

    def request(self, method: str, path: str, data: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if data is not None:
            body = urlencode(data)
            headers.update({"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": self.csrf})
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            page = response.read()
        finally:
            connection.close()
        cookie = response.headers.get("Set-Cookie")
        if cookie and cookie.startswith("fieldlab_session="):
            self.cookie = cookie.split(";")[0]
        token = re.search(rb'<meta name="csrf-token" content="([^"]+)"', page)
        if token:
            self.csrf = token.group(1).decode()
        return response.status, response.headers

    def log_in(self, email: str) -> None:
        self.request("GET", "/inloggen")
        status, _ = self.request("POST", "/inloggen", {"email": email, "password": PASSWORD})
        assert status == 303

    def add_card(self, team_id: int, owner_id: int, title: str):
        """A card through the plain form post; returns (status, card id from the redirect)."""
        status, headers = self.request("POST", f"/teams/{team_id}/bord/kaarten",
                                       {"new-card-title": title, "new-card-owner": owner_id})
        match = re.search(r"board-card-(\d+)", headers.get("Location", ""))
        return status, int(match.group(1)) if match else None


def arrange_team(make, members: int = 1):
    lab = make.make_lab()
    people = [make.make_user() for _ in range(members)]
    team = make.make_team(lab, members=people, starts_on=local(utcnow()).date())
    db.session.commit()
    return team, people


def test_server_killed_mid_burst_leaves_only_whole_cards_and_keeps_every_acknowledged_one(
        app, make, database_url, tmp_path):
    team, (member,) = arrange_team(make)
    port = free_port()
    server = start_server(database_url, tmp_path / "server", port)
    acknowledged: dict[int, str] = {}
    failed = []
    lock = threading.Lock()
    enough = threading.Event()
    try:
        browser = Browser(port)
        browser.log_in(member.email)
        browser.request("GET", f"/teams/{team.id}/bord")

        def add(number: int) -> None:
            title = f"Kaart {number}"
            try:
                status, card_id = browser.add_card(team.id, member.id, title)
            except (OSError, http.client.HTTPException):
                with lock:
                    failed.append(number)
                return
            assert status == 303, status
            with lock:
                acknowledged[card_id] = title
                if len(acknowledged) >= 10:
                    enough.set()

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(add, number) for number in range(300)]
            assert enough.wait(timeout=60)
            server.send_signal(signal.SIGKILL)
            for future in futures:
                future.result()
    finally:
        stop_server(server)

    assert failed, "the server was killed after the burst, not during it"
    db.session.rollback()
    cards = {card.id: card for card in db.session.scalars(
        select(BoardCard).where(BoardCard.challenge_id == team.challenge.id))}
    added = db.session.scalars(select(BoardEvent).where(
        BoardEvent.challenge_id == team.challenge.id, BoardEvent.kind == EventKind.CARD_ADDED)).all()
    assert sorted(event.card_id for event in added) == sorted(cards)
    assert all(event.detail["title"] == cards[event.card_id].title for event in added)
    assert {card_id: cards[card_id].title for card_id in acknowledged if card_id in cards} == acknowledged


def test_sqlite_answers_a_handful_of_concurrent_writers_without_errors(make, tmp_path):
    database_url = "sqlite:///" + str(tmp_path / "writers.sqlite")
    app = make_test_app(database_url, tmp_path / "instance")
    with app.app_context():
        db.create_all()
        team, members = arrange_team(make, members=5)
        team_id, challenge_id = team.id, team.challenge.id
        people = [(member.id, member.email) for member in members]
        db.session.remove()
        port = free_port()
        server = start_server(database_url, tmp_path / "server", port)
        try:
            def write(person) -> list[tuple[int, int | None]]:
                user_id, email = person
                browser = Browser(port)
                browser.log_in(email)
                browser.request("GET", f"/teams/{team_id}/bord")
                answers = []
                for number in range(15):
                    status, card_id = browser.add_card(team_id, user_id, f"Kaart {user_id}-{number}")
                    answers.append((status, card_id))
                    if card_id is not None:
                        status, _ = browser.request("POST", f"/teams/{team_id}/bord/kaarten/{card_id}/verplaatsen",
                                                    {"column": "doing", "position": "1"})
                        answers.append((status, None))
                return answers

            with concurrent.futures.ThreadPoolExecutor(len(people)) as pool:
                answers = [answer for result in pool.map(write, people) for answer in result]
        finally:
            stop_server(server)
        assert {status for status, _ in answers} == {303}
        stored = db.session.scalars(select(BoardCard.id).where(BoardCard.challenge_id == challenge_id)).all()
        assert sorted(stored) == sorted(card_id for _, card_id in answers if card_id is not None)
        db.session.remove()
        db.engine.dispose()

