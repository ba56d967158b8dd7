"""Partner organisations: the reference list and the concrete ones facilitators add."""
