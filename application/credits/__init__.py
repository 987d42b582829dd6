"""Credits: balances, grants and the charges image jobs hold, commit and roll back."""
