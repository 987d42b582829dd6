"""Billing: the Stripe adapter (decision 0049)."""
