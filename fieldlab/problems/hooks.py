"""The blinker signals the problems feature sends, for features above it in the import order."""

from blinker import Namespace

_signals = Namespace()

next_return_day_wanted = _signals.signal("next-return-day-wanted", doc="""\
Sent as ``send(problem, today=date, viewer=user)`` when the vraagstuk page is shown. A receiver
returns a ``problems.services.NextReturnDay`` (linking only to a day the viewer may open) or None;
the page shows the earliest. Without a receiver the page shows no return-day block at all (no
placeholder). The returndays feature answers.""")
