"""Carrier data files (calendars, services, level defaults) read by `promise.catalog`."""
