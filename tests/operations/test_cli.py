"""Every `fieldlab` command: its happy path, and bad arguments or a bad situation answered with a
clear message and a non-zero exit, never a traceback. (`serve` and `scheduler` run as real
processes in tests/test_setup.py and test_scheduler_process.py; `backup` and `restore` in
test_backup.py.)"""

import socket
import subprocess

import pyotp
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from fieldlab.auth.models import Role, User
from fieldlab.auth.services import password_matches
from fieldlab.cli import main
from fieldlab.demo import DEMO_DOMAIN
from fieldlab.extensions import db
from tests.processes import FIELDLAB, process_environment

PASSWORD = "een lange zin als wachtwoord"


def assert_refused(result, exit_code: int, message: str) -> None:
    """A clear message and a non-zero exit, not an exception that escaped."""
    assert result.exit_code == exit_code, result.output
    assert message in result.output, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


def users() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(User))


def create_user(runner, *arguments, password=PASSWORD):
    return runner.invoke(args=["create-user", *arguments, "--password", password])


def test_create_user_makes_an_account_that_can_log_in(runner):
    result = create_user(runner, "--email", " Fenna.Facilitator@Gemeente.NL ", "--name", "Fenna de Vries",
                         "--role", "facilitator", "--role", "participant")

    assert result.exit_code == 0, result.output
    assert "Account aangemaakt voor fenna.facilitator@gemeente.nl" in result.output
    db.session.rollback()
    user = User.by_email("fenna.facilitator@gemeente.nl")
    assert user.name == "Fenna de Vries"
    assert user.roles == {Role.FACILITATOR, Role.PARTICIPANT}
    assert password_matches(user, PASSWORD) and not password_matches(user, "iets anders dan dat")


def test_create_user_defaults_to_facilitator_and_asks_the_password_twice(runner):
    result = runner.invoke(args=["create-user", "--email", "eerste@hub.example", "--name", "Eerste"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    db.session.rollback()
    user = User.by_email("eerste@hub.example")
    assert user.roles == {Role.FACILITATOR} and password_matches(user, PASSWORD)


def test_create_user_refuses_an_address_that_has_an_account(runner, make):
    make.make_user(Role.PARTICIPANT, email="bestaat@example.org")
    db.session.commit()

    result = create_user(runner, "--email", "Bestaat@Example.org", "--name", "Dubbel")

    assert_refused(result, 1, "Er bestaat al een account met dit e-mailadres.")
    assert users() == 1


@pytest.mark.parametrize("email", ["geen-adres", "twee@@example.org", "iemand@", ""])
def test_create_user_refuses_an_invalid_address(runner, email):
    result = create_user(runner, "--email", email, "--name", "Ongeldig")

    assert_refused(result, 1, "Ongeldig e-mailadres")
    assert users() == 0


def test_create_user_refuses_a_password_shorter_than_the_forms_allow(runner, app):
    minimum = app.config["PASSWORD_MIN_LENGTH"]

    result = create_user(runner, "--email", "kort@example.org", "--name", "Kort", password="k" * (minimum - 1))

    assert_refused(result, 1, f"Kies een wachtwoord van minstens {minimum} tekens.")
    assert users() == 0


def test_create_user_takes_a_name_as_long_as_the_column_and_refuses_a_longer_one(runner):
    result = create_user(runner, "--email", "lang@example.org", "--name", "L" * 121)

    assert_refused(result, 1, "Kies een naam van hoogstens 120 tekens (deze heeft er 121).")
    assert "hoogstens 120 tekens" in result.stderr
    assert users() == 0

    result = create_user(runner, "--email", "lang@example.org", "--name", " " + "L" * 120 + " ")

    assert result.exit_code == 0, result.output
    db.session.rollback()
    assert User.by_email("lang@example.org").name == "L" * 120


@pytest.mark.parametrize("name", ["", "   "])
def test_create_user_refuses_an_empty_name(runner, name):
    result = create_user(runner, "--email", "leeg@example.org", "--name", name)

    assert_refused(result, 1, "Vul een naam in.")
    assert "Vul een naam in." in result.stderr
    assert users() == 0


@pytest.mark.parametrize(("arguments", "message"), [
    (["--email", "a@example.org", "--name", "A", "--role", "beheerder"], "Invalid value for '--role'"),
    (["--name", "Zonder adres"], "Missing option '--email'"),
    (["--email", "a@example.org"], "Missing option '--name'"),
])
def test_create_user_with_bad_arguments_says_what_is_wrong(runner, arguments, message):
    result = create_user(runner, *arguments)

    assert_refused(result, 2, message)
    assert users() == 0


def test_seed_demo_refuses_a_database_that_is_not_empty(fresh_app, make):
    runner = fresh_app.test_cli_runner()
    assert runner.invoke(args=["prepare"]).exit_code == 0
    with fresh_app.app_context():
        make.make_user(Role.FACILITATOR, name="Al in gebruik")
        db.session.commit()

    result = runner.invoke(args=["seed-demo"])

    assert_refused(result, 1, "De database is niet leeg; er zijn geen demogegevens geladen.")
    with fresh_app.app_context():
        assert users() == 1


def test_demo_code_prints_the_current_code_of_a_demo_facilitator(runner, make):
    facilitator = make.make_user(Role.FACILITATOR, email=f"facilitator@{DEMO_DOMAIN}")
    db.session.commit()
    totp = pyotp.TOTP(facilitator.totp_secret)

    result = runner.invoke(args=["demo-code"])

    assert result.exit_code == 0, result.output
    code = result.output.strip()
    assert code.isdigit() and len(code) == 6
    assert totp.verify(code, valid_window=1)


@pytest.mark.parametrize("email", ["echt@gemeente.example", f"zonder-code@{DEMO_DOMAIN}", f"niemand@{DEMO_DOMAIN}"])
def test_demo_code_is_only_for_demo_accounts_with_two_factor(runner, make, email):
    make.make_user(Role.FACILITATOR, email="echt@gemeente.example")
    make.make_user(Role.PARTICIPANT, email=f"zonder-code@{DEMO_DOMAIN}")
    db.session.commit()

    result = runner.invoke(args=["demo-code", "--email", email])

    assert_refused(result, 1, "Alleen voor demo-accounts met tweestapsverificatie.")


def test_serve_on_a_port_in_use_says_so(fresh_app):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = fresh_app.test_cli_runner().invoke(
            args=["serve", "--port", str(port), "--no-demo", "--no-scheduler"])

    assert_refused(result, 1, f"Kan niet luisteren op 127.0.0.1:{port}")


@pytest.mark.parametrize(("arguments", "message"), [
    (["--port", "70000"], "Invalid value for '--port'"),
    (["--port", "vijf"], "Invalid value for '--port'"),
    (["--threads", "0"], "Invalid value for '--threads'"),
])
def test_serve_with_bad_arguments_says_what_is_wrong(runner, arguments, message):
    assert_refused(runner.invoke(args=["serve", *arguments]), 2, message)


def test_scheduler_with_an_unknown_option_says_so(runner):
    assert_refused(runner.invoke(args=["scheduler", "--nu"]), 2, "No such option '--nu'")


def test_the_fieldlab_command_builds_the_app_from_the_environment_and_lists_its_commands(tmp_path):
    result = CliRunner().invoke(main, ["--help"], env={"FIELDLAB_INSTANCE_PATH": str(tmp_path / "instance")})

    assert result.exit_code == 0, result.output
    for command in ("serve", "scheduler", "prepare", "seed-demo", "create-user", "backup", "restore",
                    "demo-code", "translations", "db"):
        assert f"  {command}" in result.output


def test_an_unknown_command_is_a_usage_error_from_the_installed_command(tmp_path):
    completed = subprocess.run([FIELDLAB, "opruimen"], env=process_environment(tmp_path / "instance"),
                               capture_output=True, text=True, timeout=120, check=False)

    assert completed.returncode == 2
    assert "No such command 'opruimen'" in completed.stderr
    assert "Traceback" not in completed.stderr
