"""Admin: the operators of a Hatched instance, their roles, and the audit trail of their acts."""
