"""Admin: the customer directory and the audit trail, as searchable views."""
