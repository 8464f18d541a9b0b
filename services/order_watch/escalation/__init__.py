"""Escalation: policies by severity (as data), automatic escalation on an unacknowledged alert
and on an act-by coming close with nobody owning the alert; run by the scheduler."""
