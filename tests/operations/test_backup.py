"""A backup is a consistent copy; restoring it brings back exactly what was there. A file that is not
a good backup, or a backup that cannot be written, is refused with a clear message and the data kept."""

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fieldlab.auth.models import Role, User
from fieldlab.extensions import db
from tests.conftest import free_port, make_test_app


def test_backup_then_restore_brings_back_the_data(app, runner, make, tmp_path):
    kept = make.make_user(Role.FACILITATOR, name="Blijft bestaan")
    db.session.commit()
    backup_file = tmp_path / "fieldlab.backup"

    result = runner.invoke(args=["backup", "--output", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert backup_file.stat().st_size > 0

    make.make_user(Role.PARTICIPANT, name="Na de back-up")
    db.session.delete(db.session.get(User, kept.id))
    db.session.commit()

    result = runner.invoke(args=["restore", str(backup_file), "--yes"])
    assert result.exit_code == 0, result.output

    db.session.remove()
    names = set(db.session.scalars(select(User.name)))
    assert names == {"Blijft bestaan"}
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_restore_refuses_a_missing_file(runner, tmp_path):
    result = runner.invoke(args=["restore", str(tmp_path / "nope.backup"), "--yes"])
    # 2 is click's usage error (the argument names no file), not a restore that failed halfway (1).
    assert result.exit_code == 2, result.output
    assert "nope.backup" in result.output and "does not exist" in result.output
    assert "Back-up teruggezet" not in result.output


def names() -> set[str]:
    db.session.remove()
    return set(db.session.scalars(select(User.name)))


def assert_refused(result, exit_code: int, message: str) -> None:
    assert result.exit_code == exit_code, result.output
    assert message in result.output, result.output
    assert isinstance(result.exception, SystemExit), result.exception


def test_backup_without_output_goes_to_the_instance_folder(app, runner, make):
    make.make_user(Role.FACILITATOR, name="In de back-up")
    db.session.commit()

    result = runner.invoke(args=["backup"])

    assert result.exit_code == 0, result.output
    written = list((Path(app.instance_path) / "backups").iterdir())
    assert len(written) == 1 and written[0].name.startswith("fieldlab-") and written[0].stat().st_size > 0
    assert written[0].suffix == (".sqlite" if db.engine.dialect.name == "sqlite" else ".pgdump")
    assert f"Back-up geschreven naar {written[0]}" in result.output


def test_backup_to_a_place_that_cannot_be_written_says_so(runner, tmp_path):
    a_file = tmp_path / "een-bestand"
    a_file.write_text("geen map")

    result = runner.invoke(args=["backup", "--output", str(a_file / "fieldlab.backup")])

    assert_refused(result, 1, "Back-up mislukt")
    assert "een-bestand" in result.output


def _truncated_backup(runner, tmp_path) -> Path:
    whole = tmp_path / "whole.backup"
    assert runner.invoke(args=["backup", "--output", str(whole)]).exit_code == 0
    content = whole.read_bytes()
    cut = tmp_path / "cut.backup"
    cut.write_bytes(content[: len(content) // 2])
    return cut


def _other_sqlite_database(tmp_path) -> Path:
    other = tmp_path / "other.sqlite"
    connection = sqlite3.connect(other)
    with connection:
        connection.execute("CREATE TABLE recipe (name TEXT)")
        connection.execute("INSERT INTO recipe VALUES ('erwtensoep')")
    connection.close()
    return other


BAD_BACKUPS = {
    "empty file": lambda runner, tmp_path: _write(tmp_path / "empty.backup", b""),
    "random bytes": lambda runner, tmp_path: _write(tmp_path / "random.backup", os.urandom(8192)),
    "a text file": lambda runner, tmp_path: _write(tmp_path / "notes.backup", b"backup van dinsdag\n" * 50),
    "a backup cut in half": _truncated_backup,
    "another app's SQLite database": lambda runner, tmp_path: _other_sqlite_database(tmp_path),
}


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("kind", BAD_BACKUPS)
def test_restoring_a_file_that_is_not_a_good_backup_says_so_and_keeps_the_data(runner, make, tmp_path, kind):
    make.make_user(Role.FACILITATOR, name="Blijft staan")
    db.session.commit()
    bad = BAD_BACKUPS[kind](runner, tmp_path)

    result = runner.invoke(args=["restore", str(bad), "--yes"])

    assert_refused(result, 1, "Terugzetten mislukt")
    assert bad.name in result.output
    assert "Back-up teruggezet" not in result.output
    assert names() == {"Blijft staan"}


def test_restore_asks_first_and_changes_nothing_when_the_answer_is_no(runner, make, tmp_path):
    backup_file = tmp_path / "fieldlab.backup"
    assert runner.invoke(args=["backup", "--output", str(backup_file)]).exit_code == 0
    make.make_user(Role.FACILITATOR, name="Na de back-up")
    db.session.commit()

    refused = runner.invoke(args=["restore", str(backup_file)], input="n\n")

    assert refused.exit_code == 1 and "Aborted" in refused.output
    assert "Dit vervangt alle gegevens" in refused.output
    assert names() == {"Na de back-up"}

    accepted = runner.invoke(args=["restore", str(backup_file)], input="y\n")

    assert accepted.exit_code == 0, accepted.output
    assert "Back-up teruggezet" in accepted.output
    assert names() == set()


def test_restoring_a_directory_is_a_usage_error(runner, tmp_path):
    assert_refused(runner.invoke(args=["restore", str(tmp_path), "--yes"]), 2, "is a directory")


@pytest.fixture
def unreachable_postgresql_app(tmp_path):
    """An app configured for a PostgreSQL server that does not answer (nothing listens there)."""
    app = make_test_app(f"postgresql+psycopg://fieldlab@127.0.0.1:{free_port()}/fieldlab", tmp_path / "pg-instance")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_a_postgresql_backup_that_cannot_reach_the_server_says_so(unreachable_postgresql_app, tmp_path):
    result = unreachable_postgresql_app.test_cli_runner().invoke(
        args=["backup", "--output", str(tmp_path / "fieldlab.pgdump")])

    assert_refused(result, 1, "Back-up mislukt: pg_dump")
    assert "Connection refused" in result.output or "connection" in result.output.lower()


def test_a_postgresql_backup_without_pg_dump_says_what_to_install(unreachable_postgresql_app, tmp_path):
    runner = unreachable_postgresql_app.test_cli_runner()
    result = runner.invoke(args=["backup"], env={"PATH": str(tmp_path / "no-tools")})

    assert_refused(result, 1, "pg_dump is not installed (Debian: apt-get install postgresql-client)")
    assert not list((tmp_path / "pg-instance" / "backups").glob("*.pgdump"))


def test_the_database_password_goes_to_pg_dump_by_environment_not_on_its_command_line(tmp_path):
    """A command line is readable by every user of the machine (`ps`): the password must not be on it."""
    tools = tmp_path / "tools"
    tools.mkdir()
    seen = tmp_path / "seen.txt"
    fake = tools / "pg_dump"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" "password=$PGPASSWORD" > "{seen}"\n')
    fake.chmod(0o755)
    app = make_test_app(f"postgresql+psycopg://fieldlab:geheim-wachtwoord@127.0.0.1:{free_port()}/fieldlab",
                        tmp_path / "pg-instance")
    try:
        result = app.test_cli_runner().invoke(args=["backup", "--output", str(tmp_path / "fieldlab.pgdump")],
                                              env={"PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"})
    finally:
        with app.app_context():
            db.engine.dispose()

    assert result.exit_code == 0, result.output
    arguments, password = seen.read_text().splitlines()
    assert "geheim-wachtwoord" not in arguments
    assert "postgresql://fieldlab@127.0.0.1:" in arguments
    assert password == "password=geheim-wachtwoord"
