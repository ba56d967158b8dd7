"""A backup is a consistent copy; restoring it brings back exactly what was there."""

from sqlalchemy import func, select

from fieldlab.auth.models import Role, User
from fieldlab.extensions import db


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
