"""Economy: wallets and ledgers (marketplace and gates next)."""
