"""The outbox: every e-mail is a row first, and only the sender talks SMTP."""
