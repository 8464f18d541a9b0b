"""Notifications: Slack-compatible webhooks, Standard Webhooks, email; routed by data, retried, dead-lettered."""
