"""The operator API under ``/admin``: admin identities, customers, operations, the audit trail."""
