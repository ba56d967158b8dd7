"""Speedlabs: short live think sessions of alumni and a problem owner (ideas, clusters, dots)."""
