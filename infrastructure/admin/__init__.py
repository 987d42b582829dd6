"""Admin: the admin API's tokens and the queries its lists read."""
