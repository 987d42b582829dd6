"""Billing: a customer's subscription with the payment provider, its paid invoices, and the
provider's events, each processed once (decision 0049)."""
