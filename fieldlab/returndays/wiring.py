"""How the returndays feature is wired into the app (why a module of its own: `fieldlab.create_app`)."""

from flask_babel import lazy_gettext as _l

from fieldlab.audit.services import ACTION_LABELS
from fieldlab.boards import hooks as board_hooks
from fieldlab.labs import hooks as lab_hooks
from fieldlab.mail import hooks as mail_hooks
from fieldlab.problems import hooks as problem_hooks
from fieldlab.returndays import commands, moves, routes, services, steps

AUDIT_LABELS = {
    "returnday_confirmed": _l("terugkomdag vastgelegd"),
    "returnday_changed": _l("terugkomdag gewijzigd"),
    "returnday_cancelled": _l("terugkomdag afgelast"),
    "returnday_invitee_added": _l("genodigde toegevoegd aan terugkomdag"),
    "returnday_invitee_removed": _l("genodigde verwijderd van terugkomdag"),
    "returnday_attendance_exported": _l("aanwezigheidslijst geëxporteerd"),
    "returnday_settings_changed": _l("instellingen terugkomdagen gewijzigd"),
    "returnday_start_moved": _l("startdatum verschoven: vastgelegde terugkomdagen opnieuw te plannen"),
    "returnday_kept": _l("terugkomdag bewust op zijn datum gehouden"),
}


def init_app(app) -> None:
    ACTION_LABELS.update(AUDIT_LABELS)
    app.cli.add_command(commands.planning_command)
    mail_hooks.withdrawal_asked.connect(steps.outbox_withdrawal_reason)
    problem_hooks.next_return_day_wanted.connect(services.next_return_day_for_problem)
    board_hooks.start_date_changed.connect(moves.replan_after_start_change)
    lab_hooks.timeline_return_days.connect(moves.lab_return_days)
    app.register_blueprint(routes.bp)
    app.register_blueprint(routes.calendar_bp)
