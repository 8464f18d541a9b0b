"""Rule thresholds as policy: the staff API to read them and, for admins, to change them (audited)."""
