"""Analytics: the leaderboard and the reads built on the views."""
