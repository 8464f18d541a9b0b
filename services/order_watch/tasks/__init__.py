"""Reshipment tasks: created when a recovery is needed and possible; cancelled or expired by themselves."""
