"""Integrations: webhook endpoints, deliveries and their signing."""
