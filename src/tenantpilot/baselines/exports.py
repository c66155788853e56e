"""Exports of one compare result: JSON and CSV with a stable column order, one row per subject.

Both formats carry the same rows (:func:`export_rows`); in CSV the list-valued columns
(``changes``, ``candidate_ids``) are JSON-encoded, and :func:`rows_from_csv` parses them back, so
a CSV round-trips to exactly the JSON rows.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from .models import BaselineCompareItem, BaselineCompareResult

#: The export columns, in order (never reorder: downstream scripts read them by position too).
COLUMNS: tuple[str, ...] = (
    "profile",
    "snapshot",
    "environment",
    "policy_type",
    "subject_key",
    "baseline_label",
    "baseline_object_id",
    "target_object_id",
    "target_label",
    "outcome",
    "reason",
    "binding_id",
    "binding_mode",
    "renamed",
    "changed_since_accepted",
    "changes",
    "candidate_ids",
)
_JSON_COLUMNS = frozenset({"changes", "candidate_ids"})
_BOOL_COLUMNS = frozenset({"renamed", "changed_since_accepted"})
_INT_COLUMNS = frozenset({"snapshot", "binding_id"})


def export_rows(result: BaselineCompareResult) -> list[dict[str, Any]]:
    """One dict per compare item, keys exactly :data:`COLUMNS` (two queries)."""
    items = (
        BaselineCompareItem.objects.filter(result=result)
        .select_related("snapshot_item")
        .order_by("policy_type", "canonical_subject_key", "pk")
    )
    profile_name = result.profile.name
    environment_name = result.environment.display_name
    rows = []
    for item in items:
        rows.append(
            {
                "profile": profile_name,
                "snapshot": result.snapshot_id,
                "environment": environment_name,
                "policy_type": item.policy_type,
                "subject_key": item.canonical_subject_key,
                "baseline_label": item.baseline_label,
                "baseline_object_id": item.snapshot_item.source_object_id if item.snapshot_item else "",
                "target_object_id": item.target_object_id,
                "target_label": item.target_label,
                "outcome": item.outcome,
                "reason": item.reason,
                "binding_id": item.binding_id,
                "binding_mode": item.binding_mode,
                "renamed": item.renamed,
                "changed_since_accepted": item.changed_since_accepted,
                "changes": list(item.changes),
                "candidate_ids": [c.get("object_id") for c in item.candidates],
            }
        )
    return rows


def result_header(result: BaselineCompareResult) -> dict[str, Any]:
    """What the JSON export says about the result itself (evidence included)."""
    return {
        "result_id": result.pk,
        "profile": result.profile.name,
        "snapshot": result.snapshot_id,
        "environment": result.environment.display_name,
        "environment_id": result.environment_id,
        "created_at": result.created_at.isoformat(),
        "evidence_at": result.evidence_at.isoformat() if result.evidence_at else None,
        "evidence_stale": result.evidence_stale,
        "incomplete_types": list(result.incomplete_types),
        "counts": dict(result.counts),
    }


def export_json(result: BaselineCompareResult) -> str:
    """The result as a JSON document: ``{"result": header, "columns": [...], "rows": [...]}``."""
    document = {"result": result_header(result), "columns": list(COLUMNS), "rows": export_rows(result)}
    return json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def _cell(column: str, value: Any) -> str:
    if column in _JSON_COLUMNS:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if column in _BOOL_COLUMNS:
        return "true" if value else "false"
    return "" if value is None else str(value)


def export_csv(result: BaselineCompareResult) -> str:
    """The result as CSV (header row = :data:`COLUMNS`)."""
    return rows_to_csv(export_rows(result))


def rows_to_csv(rows: Iterable[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(column, row[column]) for column in COLUMNS])
    return buffer.getvalue()


def rows_from_csv(text: str) -> list[dict[str, Any]]:
    """Parse :func:`export_csv` output back into the rows of :func:`export_rows`."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    if tuple(header) != COLUMNS:
        raise ValueError("not a compare export: unexpected columns")
    rows = []
    for record in reader:
        row: dict[str, Any] = {}
        for column, cell in zip(COLUMNS, record, strict=True):
            if column in _JSON_COLUMNS:
                row[column] = json.loads(cell)
            elif column in _BOOL_COLUMNS:
                row[column] = cell == "true"
            elif column in _INT_COLUMNS:
                row[column] = int(cell) if cell else None
            else:
                row[column] = cell
        rows.append(row)
    return rows
