"""Accounts, login and the one place that decides who may do what (permissions.py)."""
