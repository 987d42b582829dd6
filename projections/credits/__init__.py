"""Credits: the credit ledger and the image usage it adds up to."""
