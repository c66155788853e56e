"""Compare exports: stable columns, CSV round-trips to the JSON rows, the CLI's exit codes."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from tenantpilot.baselines.exports import COLUMNS, export_csv, export_json, rows_from_csv
from tests.baselines.support import captured_profile, compared, contoso, fabrikam, synced

pytestmark = pytest.mark.django_db


@pytest.fixture
def drift_result(world, graph_settings):
    golden, drifted = synced(contoso(world)), synced(fabrikam(world))
    profile = captured_profile(world, golden)
    _run, result = compared(world, profile, drifted)
    return result


def test_csv_parses_back_to_the_json_rows(drift_result):
    document = json.loads(export_json(drift_result))
    assert document["columns"] == list(COLUMNS)
    rows = document["rows"]
    assert rows and all(list(row) == list(COLUMNS) for row in rows)
    assert rows_from_csv(export_csv(drift_result)) == rows
    outcomes = {row["outcome"] for row in rows}
    assert {"drift", "missing", "unexpected", "match"} <= outcomes
    missing = next(row for row in rows if row["outcome"] == "missing")
    assert missing["target_object_id"] == "" and missing["baseline_object_id"]
    drift = next(row for row in rows if row["outcome"] == "drift")
    assert drift["changes"] and {"path", "baseline", "target"} <= set(drift["changes"][0])


def test_cli_writes_json_and_csv(drift_result, tmp_path):
    out = io.StringIO()
    call_command("compare-export", str(drift_result.environment_id), "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["result"]["result_id"] == drift_result.pk
    target = tmp_path / "drift.csv"
    call_command(
        "compare-export",
        str(drift_result.environment_id),
        "--profile",
        str(drift_result.profile_id),
        "--format",
        "csv",
        "--output",
        str(target),
        stdout=io.StringIO(),
    )
    assert target.read_text().splitlines()[0] == ",".join(COLUMNS)


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["1", "--format", "xml"], 2),
        (["abc", "--format", "json"], 2),
        (["1", "--format", "json", "--profile", "x"], 2),
        (["999999", "--format", "json"], 3),
    ],
)
def test_cli_exit_codes(db, argv, code):
    with pytest.raises(SystemExit) as exc:
        call_command("compare-export", *argv, stdout=io.StringIO(), stderr=io.StringIO())
    assert exc.value.code == code
