"""Audit events: logins, role changes, deactivations, exports and deletions."""
