"""Workspace routes of the baseline read pages (profiles, snapshots, drift overview, results)."""

from __future__ import annotations

from django.urls import URLPattern

baseline_patterns: list[URLPattern] = []
