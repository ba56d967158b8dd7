"""First start: demo data on an empty database (once), the secret key generated once, and migrations
that build exactly the schema the models describe."""

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pyotp
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from fieldlab import create_app
from fieldlab.auth.models import Role, User
from fieldlab.boards.models import Challenge
from fieldlab.cli import prepare_database
from fieldlab.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from fieldlab.extensions import db
from fieldlab.labs.models import Lab, LabKind
from fieldlab.mail.models import MessageStatus, OutboxMessage
from fieldlab.mail.services import withdrawal_reason
from fieldlab.organisations.models import Organisation
from fieldlab.outcomes.models import TeamResult
from fieldlab.problems.models import Problem
from fieldlab.returndays.jobs import due_steps_query
from fieldlab.teams.models import Team
from fieldlab.timeutil import local, utcnow
from tests.conftest import TEST_DATABASE_URL, free_port, make_test_app


def counts() -> dict:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Lab, Team, Challenge, Organisation)
    }


def test_seed_demo_fills_an_empty_database_and_prints_the_logins(fresh_app):
    result = fresh_app.test_cli_runner().invoke(args=["seed-demo"])

    assert result.exit_code == 0, result.output
    with fresh_app.app_context():
        # One Lab of each kind, plus an earlier teams Lab whose participants are the alumni.
        assert set(db.session.scalars(select(Lab.kind))) == {kind.value for kind in LabKind}
        # Two teams on day 37 of this year's Lab, three that finished last year's with a submitted result.
        assert db.session.scalar(select(func.count()).select_from(Team)) == 5
        today = local(utcnow()).date()
        days = sorted(challenge.day_on(today) for challenge in db.session.scalars(select(Challenge)))
        assert days[:2] == [37, 37] and all(day > 100 for day in days[2:])
        assert db.session.scalar(select(func.count()).select_from(TeamResult)) == 3
        users = db.session.scalars(select(User)).all()
        assert set().union(*(user.roles for user in users)) == set(Role)
        for role in Role:
            someone = next(user for user in users if user.roles == {role})
            assert someone.email in result.output
    assert DEMO_PASSWORD in result.output
    for label in ("facilitator", "opdrachtgever", "deelnemer", "leidinggevende"):
        assert label in result.output


def test_demo_login_works(fresh_app):
    fresh_app.test_cli_runner().invoke(args=["seed-demo"])
    client = fresh_app.test_client()

    response = client.post(
        "/inloggen", data={"email": "facilitator@demo.fieldlab.example", "password": DEMO_PASSWORD}
    )
    assert response.location == "/inloggen/code"

    # The printed key (or `fieldlab demo-code`) gives the facilitator's second step.
    code = fresh_app.test_cli_runner().invoke(args=["demo-code"]).output.strip()
    totp, now = pyotp.TOTP(DEMO_TOTP_SECRET), time.time()
    assert code in {totp.at(now - 30), totp.at(now), totp.at(now + 30)}  # a step may pass meanwhile
    assert client.post("/inloggen/code", data={"code": code}).status_code == 303
    assert "Welkom, Fenna de Vries" in client.get("/").get_data(as_text=True)


def test_seeding_again_keeps_the_data_and_adds_nothing(fresh_app):
    runner = fresh_app.test_cli_runner()
    runner.invoke(args=["seed-demo"])
    with fresh_app.app_context():
        before = counts()

    again = runner.invoke(args=["seed-demo"])
    with fresh_app.app_context():
        assert prepare_database(demo=True) == []
        after = counts()

    assert again.exit_code == 1
    assert "De database is niet leeg; er zijn geen demogegevens geladen." in again.output
    assert after == before


def test_prepare_without_demo_loads_only_the_reference_list(fresh_app):
    result = fresh_app.test_cli_runner().invoke(args=["prepare"])

    assert result.exit_code == 0, result.output
    with fresh_app.app_context():
        assert counts()["User"] == 0 and counts()["Organisation"] > 0


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FIELDLAB_INSTANCE_PATH", raising=False)
    config = {"INSTANCE_PATH": str(tmp_path / "instance"), "SQLALCHEMY_DATABASE_URI": "sqlite://"}

    first = create_app(config).config["SECRET_KEY"]
    second = create_app(config).config["SECRET_KEY"]

    key_file = tmp_path / "instance" / "secret_key"
    assert first == second == key_file.read_text().strip()
    assert len(first) >= 40
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_instance_path_given_to_create_app_wins_over_the_environment(tmp_path, monkeypatch):
    """Tests (and tools) that pass their own instance folder never touch a deployment's."""
    monkeypatch.setenv("FIELDLAB_INSTANCE_PATH", str(tmp_path / "deployment"))

    app = create_app(
        {"INSTANCE_PATH": str(tmp_path / "mine"), "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"}
    )

    assert app.instance_path == str(tmp_path / "mine")
    assert not (tmp_path / "deployment").exists()


def test_instance_path_comes_from_the_environment_otherwise(tmp_path, monkeypatch):
    monkeypatch.setenv("FIELDLAB_INSTANCE_PATH", str(tmp_path / "deployment"))

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})

    assert app.instance_path == str(tmp_path / "deployment")


# --- Migrations match the models ----------------------------------------------------------


def schema_differences(app) -> list:
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "include_object": lambda obj, name, type_, reflected, compare_to: (
                        not (type_ == "table" and name in {"apscheduler_jobs", "alembic_version"})
                    ),
                },
            )
            return compare_metadata(context, db.metadata)


def test_migrations_build_the_schema_of_the_models_on_sqlite(fresh_app):
    assert schema_differences(fresh_app) == []


@pytest.fixture
def empty_postgresql_database(tmp_path):
    """A database of its own next to the test database, dropped afterwards."""
    if not TEST_DATABASE_URL:
        pytest.skip("FIELDLAB_TEST_DATABASE_URL is not set")
    url = make_url(TEST_DATABASE_URL)
    name = f"{url.database}_migrations"
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def test_migrations_build_the_schema_of_the_models_on_postgresql(empty_postgresql_database, tmp_path):
    app = make_test_app(empty_postgresql_database, tmp_path / "instance")
    try:
        assert schema_differences(app) == []
    finally:
        with app.app_context():
            db.engine.dispose()


def test_demo_data_queues_no_mail_about_past_dates(fresh_app):
    """A first start with SMTP would send what the demo left queued: nothing about a day that has
    begun or a form that has closed may be among it, and no step is left due to run."""
    fresh_app.test_cli_runner().invoke(args=["seed-demo"])
    with fresh_app.app_context():
        now = utcnow()
        queued = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == MessageStatus.QUEUED)).all()
        assert queued, "the demo's outbox has day 50's invitations waiting"
        assert [message.idempotency_key for message in queued if withdrawal_reason(message, now)] == []
        assert db.session.execute(due_steps_query(now)).all() == []


def start_serve(instance, port) -> str:
    """`fieldlab serve` in its own process, as a person starts it; its output until it listens."""
    environment = {key: value for key, value in os.environ.items()
                   if key not in {"DATABASE_URL", "SECRET_KEY", "FIELDLAB_INSTANCE_PATH"}}
    environment.update(FIELDLAB_INSTANCE_PATH=str(instance), PYTHONUNBUFFERED="1")
    command = [str(Path(sys.executable).parent / "fieldlab"), "serve", "--port", str(port), "--no-scheduler"]
    process = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Fieldlab draait op" in line:
                break
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
    return "".join(lines)


def test_serve_says_where_it_runs_and_where_the_demo_logins_are_on_a_second_start(tmp_path):
    port = free_port()
    first = start_serve(tmp_path / "instance", port)
    assert "Demo-gegevens geladen" in first and "facilitator@demo.fieldlab.example" in first, first
    assert f"Fieldlab draait op http://127.0.0.1:{port}/" in first

    second = start_serve(tmp_path / "instance", port)

    assert "Demo-gegevens geladen" not in second
    assert "Bestaande database: sqlite:///" in second and "fieldlab.sqlite" in second, second
    assert "demo-logins" in second and "README.md" in second
    assert f"Fieldlab draait op http://127.0.0.1:{port}/" in second


README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_describes_the_demo_data_that_is_loaded(fresh_app):
    """The README's demo section is what a new user checks the app against: its counts must hold."""
    fresh_app.test_cli_runner().invoke(args=["seed-demo"])
    demo_section = README.read_text(encoding="utf-8").split("## Demo logins", 1)[1].split("\n## ", 1)[0]
    words = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}

    with fresh_app.app_context():
        labs = db.session.scalars(select(Lab)).all()
        teams = db.session.scalar(select(func.count()).select_from(Team))
        problems = db.session.scalar(select(func.count()).select_from(Problem))
        teams_labs = [lab for lab in labs if lab.kind == LabKind.TEAMS]

    assert f"loads {words[len(labs)]} Labs" in demo_section
    assert f"{words[teams]} teams" in demo_section
    assert f"{words[problems]} vraagstukken" in demo_section
    assert {lab.kind for lab in labs} == set(LabKind) and "one of each kind" in demo_section
    assert len(teams_labs) == 2 and "an earlier, finished teams Lab" in demo_section


@pytest.mark.parametrize("setting, level", [(None, 1), ("FULL", 2), ("normal", 1)])
def test_sqlite_commits_are_flushed_at_checkpoints_unless_configured(tmp_path, setting, level):
    """WAL with synchronous=NORMAL by default (SQLITE_SYNCHRONOUS=FULL flushes every commit)."""
    from fieldlab.extensions import db

    config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'sync.sqlite'}", "SECRET_KEY": "x",
              "INSTANCE_PATH": str(tmp_path)}
    if setting:
        config["SQLITE_SYNCHRONOUS"] = setting
    app = create_app(config)
    try:
        with app.app_context():
            assert db.session.execute(db.text("PRAGMA synchronous")).scalar() == level
            assert db.session.execute(db.text("PRAGMA journal_mode")).scalar() == "wal"
            db.engine.dispose()
    finally:
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path)})


def test_an_unknown_sqlite_synchronous_level_is_refused(tmp_path):
    with pytest.raises(ValueError, match="SQLITE_SYNCHRONOUS"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path),
                    "SQLITE_SYNCHRONOUS": "sometimes"})
