"""Expertise tags: one spelling per tag, wherever tags are stored or compared (profiles, a
vraagstuk's needed expertise, the paste import, team formation), and suggestions while typing."""
