"""Outcomes: the day-100 result of each team, the opdrachtgever's view, the six-month
sustainability question and the intervention library built from completed challenges."""


def init_app(app) -> None:
    """Routes and the follow-up registration join as they are built."""
