"""Ingestion: customer events, the rule engine and its explanations."""
