"""Accounts: customers, their e-mail claims and credentials."""
