"""The demo's console logs: short human lines, warnings and errors plus one line per run start and
end; JSON lines stay the default everywhere else."""

from __future__ import annotations

import logging
import sys

import pytest
from django.conf import settings

from tenantpilot.core.logging import HumanFormatter, JsonFormatter, human_logging_config
from tenantpilot.demo import DEMO_LOUD_LOGGERS, DEMO_QUIET_LOGGERS, seed_demo
from tenantpilot.demo_worker import run_line
from tenantpilot.operations.choices import OperationType
from tenantpilot.tenancy.models import ManagedEnvironment
from tests.operations.helpers import queued_run


def _record(level: int, message: str, **extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord(
        {"name": "tenantpilot.x", "levelno": level, "levelname": logging.getLevelName(level)}
    )
    record.msg, record.args = message, ()
    record.__dict__.update(extra)
    return record


def test_human_lines_are_short_and_name_an_exception_by_type_only():
    try:
        raise ValueError("secret-canary-in-exception-text")
    except ValueError:
        exc_info = sys.exc_info()
    record = _record(logging.WARNING, "graph giving up", run=7)
    record.exc_info = exc_info
    line = HumanFormatter().format(record)
    assert "\n" not in line and not line.startswith("{")
    assert "WARNING graph giving up" in line and "run=7" in line and "exc_type=ValueError" in line
    assert "secret-canary" not in line and "Traceback" not in line
    assert "INFO" not in HumanFormatter().format(_record(logging.INFO, "run 3 started"))


def test_the_demo_config_is_quiet_and_production_stays_json():
    config = human_logging_config(settings.LOGGING, loud_loggers=DEMO_LOUD_LOGGERS, quiet_loggers=DEMO_QUIET_LOGGERS)
    assert config["handlers"]["console"]["formatter"] == "human"
    assert config["root"]["level"] == "WARNING"
    assert config["loggers"]["tenantpilot.demo"]["level"] == "INFO"
    assert config["loggers"]["tenantpilot.graph"]["level"] == "ERROR"  # a failing run's end line says why
    assert settings.LOGGING["handlers"]["console"]["formatter"] == "json"
    assert settings.LOGGING["formatters"]["json"]["()"].endswith(JsonFormatter.__name__)


@pytest.mark.django_db
def test_a_run_gets_one_readable_line_when_it_starts_and_ends():
    seed_demo()
    environment = ManagedEnvironment.objects.get(display_name__startswith="Fabrikam")
    run = queued_run(environment, kind=OperationType.INVENTORY_SYNC)
    assert run_line(run, started=True) == f"run {run.pk} Inventory sync of Fabrikam (drifted): started"
    run.status, run.outcome, run.reason_code = "completed", "failed", "tls_untrusted"
    assert run_line(run, started=False) == f"run {run.pk} Inventory sync of Fabrikam (drifted): failed (tls_untrusted)"
