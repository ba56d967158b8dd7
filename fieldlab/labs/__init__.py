"""Labs of three kinds, their programme days, participants, profiles and (derived) alumni."""
