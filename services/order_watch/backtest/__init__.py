"""Backtest: replay event streams (simulated or imported) through the reconcile engine in-process.

`simulator` makes seeded event streams with known ground truth, `importer` turns a user's CSV
history into the same stream, `replay` applies it exactly as the worker and scheduler would on
a simulated clock, `metrics` scores the engine against two baselines, `report` writes JSON and
HTML, and `cli` ties them together (`ow-backtest`).
"""
