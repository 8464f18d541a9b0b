"""Carrier adapter: verifies and normalizes carrier webhooks, publishes `tracking.v1`."""
