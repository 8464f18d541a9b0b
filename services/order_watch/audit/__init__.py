"""Audit trail: every change by a person or the system — actor, time, before and after."""
