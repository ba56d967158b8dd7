"""Evaluations: participants grade programmes and terugkomdagen; facilitators see the results."""
