"""Baselines: profiles captured from a golden environment and the environments they apply to.

Only the minimal rows exist yet (profile, snapshot, assignment) so that provider resource
bindings can reference a baseline snapshot and prove it applies to their environment.
Capture and compare come later.
"""
