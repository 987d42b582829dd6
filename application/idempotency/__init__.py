"""Idempotency: one Idempotency-Key of a tenant and the response it produced."""
