"""Admin: operator identities, their audited acts on customers, and impersonation."""
