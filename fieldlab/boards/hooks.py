"""The blinker signals the boards feature sends, for features above it in the import order.

Boards cannot call the returndays planner (returndays imports boards), so it announces what
happened and whoever cares connects a receiver in its `wiring.py`.
"""

from blinker import Namespace

_signals = Namespace()

start_date_changed = _signals.signal("start-date-changed", doc="""\
Sent with the challenge after its start date was set or moved to a date (not when it is cleared),
as ``send(challenge, by=user, now=moment)``, in the transaction that changed it. The returndays
feature proposes (or re-proposes) the return days of day 1, 50 and 100.""")
