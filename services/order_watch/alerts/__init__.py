"""Alerts: one per (order, rule, shipment), raised, updated, escalated and resolved with history."""
