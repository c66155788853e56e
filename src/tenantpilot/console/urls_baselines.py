"""Workspace routes of the baseline read pages (profiles, snapshots, drift overview, results)."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import baselines

_PROFILE = "baselines/<int:profile_id>/"
_RESULT = _PROFILE + "environments/<int:environment_id>/"

baseline_patterns: list[URLPattern] = [
    path("baselines/", baselines.profile_list_view, name="baseline-profiles"),
    path("baselines/new/", baselines.profile_create, name="baseline-profile-create"),
    path(_PROFILE, baselines.profile_overview, name="baseline-profile"),
    path(_PROFILE + "edit/", baselines.profile_edit, name="baseline-profile-edit"),
    path(_PROFILE + "archive/", baselines.profile_archive, name="baseline-profile-archive"),
    path(_PROFILE + "capture/", baselines.profile_capture, name="baseline-capture"),
    path(_PROFILE + "assignments/", baselines.profile_assign, name="baseline-assign"),
    path(_RESULT + "unassign/", baselines.profile_unassign, name="baseline-unassign"),
    path(_PROFILE + "snapshots/", baselines.snapshot_list_view, name="baseline-snapshots"),
    path(_PROFILE + "snapshots/<int:snapshot_id>/", baselines.snapshot_detail, name="baseline-snapshot"),
    path(_PROFILE + "compare/", baselines.compare_all, name="baseline-compare-all"),
    path(_RESULT + "compare/", baselines.compare_environment, name="baseline-compare"),
    path(_RESULT, baselines.result_view, name="baseline-result"),
    path(_RESULT + "export/", baselines.result_export, name="baseline-export"),
    path(_PROFILE + "subject/", baselines.subject_view, name="baseline-subject"),
]
