"""Contracts and plumbing shared by both services. No business rules live here."""
