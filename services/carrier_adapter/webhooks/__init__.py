"""Webhook intake: verify, normalize, store raw delivery + events + outbox in one transaction."""
