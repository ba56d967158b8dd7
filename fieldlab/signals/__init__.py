"""Bestuurlijk signaal: a team's (or a facilitator's) signal to the Landelijk Loket Bestuurlijke
Signalen, from draft through the three criteria and the Loket's steps to the effect question.
Follow-ups (the 3-month reminder, the 6-month effect question) run through fieldlab/followups."""
