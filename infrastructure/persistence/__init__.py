"""Persistence: the event store, the view store, followers and rebuilds."""
