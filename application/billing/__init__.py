"""Billing: checkout and the portal at the payment provider, its events processed once,
plan changes from outside the code (decision 0049)."""
