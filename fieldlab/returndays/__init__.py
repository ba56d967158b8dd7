"""Terugkomdagen: planning day 1/50/100, invitations with calendar files, RSVP, reminders, the
return-day pack and agreements, the facilitator's calendar and private calendar feeds."""

from flask_babel import lazy_gettext as _l

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
    from fieldlab.audit.services import ACTION_LABELS
    from fieldlab.boards.services import on_start_date_change
    from fieldlab.labs.services import register_return_day_provider
    from fieldlab.mail.services import register_withdrawal_rule
    from fieldlab.problems.services import register_next_return_day_provider
    from fieldlab.returndays import commands, moves, routes, services, steps

    ACTION_LABELS.update(AUDIT_LABELS)
    register_withdrawal_rule(steps.outbox_withdrawal_reason)
    app.cli.add_command(commands.planning_command)
    register_next_return_day_provider(services.next_return_day_for_problem)
    on_start_date_change(moves.replan_after_start_change)
    register_return_day_provider(moves.lab_return_days)
    app.register_blueprint(routes.bp)
    app.register_blueprint(routes.calendar_bp)
