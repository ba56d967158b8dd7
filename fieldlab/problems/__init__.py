"""Vraagstukken: opdrachtgevers submit problems; facilitators review, accept and attach them to a Lab."""
