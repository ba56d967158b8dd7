"""The home page: what is next for me, per role."""
