"""The blinker signals the mail feature sends. Mail knows no feature; features connect to these."""

from blinker import Namespace

_signals = Namespace()

withdrawal_asked = _signals.signal("withdrawal-asked", doc="""\
Sent as ``send(message, now=moment)`` by the sender just before it would send a queued message.
A receiver returns a reason (Dutch) to withdraw the message, or None; the first reason wins.
Features connect theirs in their ``wiring.py`` (returndays: a cancelled or begun day; evaluations: a
closed form).""")
