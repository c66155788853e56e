"""Workspace routes of the drift resolution loop (bind, mark, exclude, accept, revoke from a result)."""

from __future__ import annotations

from django.urls import URLPattern

resolution_patterns: list[URLPattern] = []
