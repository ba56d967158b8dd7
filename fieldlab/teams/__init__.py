"""Teams of a Lab and their formation: suggested by formation.py, adjusted by hand, confirmed."""
