"""Pure helpers every source's mapper shares: time zones, UTC conversion, JSON field access."""
