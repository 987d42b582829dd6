"""Companions: eggs, buddies, their operations and their pictures."""
