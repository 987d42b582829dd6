"""The Hatched domain: aggregates, their events, value objects and the rule engine.

Nothing here does I/O, reads a clock or draws random numbers: time and seeds are
passed in, so replaying the same events always rebuilds the same state.
"""
