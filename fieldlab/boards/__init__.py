"""100-day challenge boards: the challenge, its cards, activity, weekly progress and the overview."""
