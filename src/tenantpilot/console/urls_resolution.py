"""Workspace routes of the drift resolution loop (bind, mark, exclude, accept, revoke from a result)."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import baseline_resolution as views

_ITEM = "environments/<int:environment_id>/drift/<int:item_id>/"

resolution_patterns: list[URLPattern] = [
    path(_ITEM, views.resolve_item, name="baseline-resolve"),
    path(_ITEM + "bind/", views.resolve_bind, name="baseline-resolve-bind"),
    path(_ITEM + "missing-expected/", views.resolve_missing_expected, name="baseline-resolve-missing-expected"),
    path(_ITEM + "exclude/", views.resolve_exclude, name="baseline-resolve-exclude"),
    path(_ITEM + "accept/", views.resolve_accept, name="baseline-resolve-accept"),
    path(_ITEM + "supersede/", views.resolve_supersede, name="baseline-resolve-supersede"),
    path(_ITEM + "revoke/", views.resolve_revoke, name="baseline-resolve-revoke"),
    path(_ITEM + "recompare/", views.resolve_recompare, name="baseline-resolve-recompare"),
    path("baselines/reviews/overdue/", views.reviews_overdue, name="baseline-reviews-overdue"),
]
