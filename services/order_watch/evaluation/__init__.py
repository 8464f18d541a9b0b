"""Evaluation: load order snapshots, run the pure rules, and sync alerts and tasks — for the
orders a worker batch touched and for the orders the scheduler finds due."""
