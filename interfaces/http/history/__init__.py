"""History: timelines, as-of reads, what-if replays and exports."""
