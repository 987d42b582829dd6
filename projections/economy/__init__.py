"""Economy: the views of what buddies paid for (gate unlocks)."""
