"""Order truth for sales reps: one verdict with its reason, every fact with source and as-of,
the merged timeline of all sources, who is doing what by when, and a summary to read aloud."""
