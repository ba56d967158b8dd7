"""The blinker signals the labs feature sends, for features above it in the import order."""

from blinker import Namespace

_signals = Namespace()

timeline_return_days = _signals.signal("timeline-return-days", doc="""\
Sent as ``send(lab)`` when the Lab's timeline is built. A receiver returns
``{day_number: [return days not cancelled]}``, so the timeline shows the return days beside the
challenge days and says when a moved start date left a confirmed one to re-plan. The returndays
feature answers; without a receiver the timeline shows no return days.""")

participant_leaving = _signals.signal("participant-leaving", doc="""\
Sent as ``send(participation)`` when a facilitator takes a participant off a Lab, before the
participation goes. The teams feature takes them out of the Lab's teams, so the team pages, the
board and the team formation agree that they left. Invitations to return days already on a list
stay there (a facilitator removes them on the return day's page).""")
