"""Fixtures of the operations tests: handlers swapped in for one test, runs started the real way."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from tenantpilot.operations.choices import OperationType, RunOutcome
from tenantpilot.operations.registry import RunResult, override_handler


@pytest.fixture
def handlers() -> Iterator[Callable[..., None]]:
    """``handlers(OperationType.X, fn)`` installs ``fn`` for this test only."""
    with ExitStack() as stack:

        def install(kind: OperationType, fn: Callable[..., RunResult]) -> None:
            stack.enter_context(override_handler(kind, fn))

        yield install


def succeed(run, ctx) -> RunResult:
    return RunResult(RunOutcome.SUCCEEDED, {"processed": 1})
