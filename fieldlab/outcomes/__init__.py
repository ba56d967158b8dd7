"""Outcomes: the day-100 result of each team, the opdrachtgever's view, the six-month
sustainability question and the intervention library built from completed challenges."""
