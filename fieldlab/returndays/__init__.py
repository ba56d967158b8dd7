"""Terugkomdagen: planning day 1/50/100, invitations with calendar files, RSVP, reminders, the
return-day pack and agreements, the facilitator's calendar and private calendar feeds."""
