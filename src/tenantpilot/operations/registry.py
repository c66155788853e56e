"""The registry of operation handlers: one function per ``OperationType``, run by the worker.

A handler is ``(run, ctx) -> RunResult``. It raises ``OperationFailed(reason_code, message)`` to
fail with a registered reason; any other exception fails the run with ``internal_error`` and a
generic message (the exception text may carry a secret, so it is never stored).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.module_loading import autodiscover_modules

from .choices import HANDLER_OUTCOMES, OperationType, RunOutcome
from .transitions import OperationRunService, validate_counts

if TYPE_CHECKING:
    from .models import OperationRun

HANDLER_MODULE_NAME = "operation_handlers"


class OperationFailed(Exception):
    """Raised by a handler: the run fails with ``reason_code`` (registered) and ``message``.

    The message is sanitized before it is stored; an unregistered code is stored as
    ``internal_error``.
    """

    def __init__(self, reason_code: str, message: str = "") -> None:
        self.reason_code = str(reason_code)
        self.message = message
        super().__init__(self.reason_code)


@dataclass(frozen=True)
class RunResult:
    """What a handler reports when it returns: the outcome, final counts, and why (when not succeeded)."""

    outcome: RunOutcome = RunOutcome.SUCCEEDED
    summary_counts: Mapping[Any, int] = field(default_factory=dict)  # keys: SummaryKey members or values
    reason_code: str = ""
    message: str = ""


def validate_result(result: object) -> RunResult:
    """Check a handler's return value; raises ``ValueError`` when it breaks the contract."""
    if not isinstance(result, RunResult):
        raise ValueError("an operation handler must return a RunResult")
    if result.outcome not in HANDLER_OUTCOMES:
        raise ValueError(f"a handler may not report the outcome {result.outcome!r}")
    validate_counts(result.summary_counts)
    return result


class RunContext:
    """What a handler gets beside the run: a heartbeat and progress counts.

    Progress comes in two kinds. ``add_counts`` writes increments to the run at once.
    ``set_progress`` records running totals in memory only; the runner's heartbeat thread saves
    the latest totals with its next beat (and the runner with the run's end), so a run whose
    worker is killed keeps the counts of what it had done — the reaper settles it with them —
    without a database write per item.
    """

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self._lock = threading.Lock()
        self._progress: dict[str, int] = {}
        self._version = 0
        self._saved_version = 0

    def heartbeat(self) -> bool:
        """Tell the reaper this run is alive, saving the progress totals that changed since the
        last beat. Returns whether the run is still running (``False``: it ended or was reaped)."""
        progress = self.unsaved_progress()
        alive = OperationRunService.heartbeat(self.run_id, progress=progress)
        if alive and progress is not None:
            self.progress_saved(progress)
        return alive

    def add_counts(self, **counts: int) -> dict[str, int]:
        """Add to the run's summary counts (flat, registered keys); returns the new totals."""
        return OperationRunService.add_counts(self.run_id, validate_counts(counts))

    def set_progress(self, counts: Mapping[Any, int] | None = None, /, **more: int) -> None:
        """Record running totals (absolute values, registered keys; validated now, saved with the
        next heartbeat). Keys not named keep their last value."""
        valid = validate_counts({**(counts or {}), **more})
        with self._lock:
            self._progress.update(valid)
            self._version += 1

    def progress(self) -> dict[str, int]:
        """The running totals recorded so far."""
        with self._lock:
            return dict(self._progress)

    def unsaved_progress(self) -> dict[str, int] | None:
        """The totals when they changed since the last save (``None`` otherwise); pair it with
        ``progress_saved`` once the write succeeded, so a failed beat retries them."""
        with self._lock:
            if self._version == self._saved_version:
                return None
            return dict(self._progress)

    def progress_saved(self, progress: Mapping[str, int]) -> None:
        """Mark ``progress`` (as returned by ``unsaved_progress``) written."""
        with self._lock:
            if dict(progress) == self._progress:
                self._saved_version = self._version


Handler = Callable[["OperationRun", RunContext], RunResult]
_HANDLERS: dict[str, Handler] = {}


def register_operation(operation_type: OperationType, *, replace: bool = False) -> Callable[[Handler], Handler]:
    """Register the handler of ``operation_type``. Registering a type twice is a mistake (raises)."""
    kind = OperationType(operation_type)

    def decorator(handler: Handler) -> Handler:
        existing = _HANDLERS.get(kind.value)
        if existing is not None and existing is not handler and not replace:
            raise RuntimeError(f"{kind.value} already has a handler ({existing.__module__}.{existing.__qualname__})")
        _HANDLERS[kind.value] = handler
        return handler

    return decorator


def handler_for(operation_type: str) -> Handler | None:
    """The registered handler of ``operation_type``, or ``None``."""
    return _HANDLERS.get(operation_type)


@contextmanager
def override_handler(operation_type: OperationType, handler: Handler) -> Iterator[None]:
    """Temporarily replace a handler (tests, local experiments); restores the previous one."""
    kind = OperationType(operation_type).value
    previous = _HANDLERS.get(kind)
    _HANDLERS[kind] = handler
    try:
        yield
    finally:
        if previous is None:
            _HANDLERS.pop(kind, None)
        else:
            _HANDLERS[kind] = previous


@dataclass(frozen=True)
class PeriodicJob:
    """Housekeeping every worker runs now and then (reaping, due schedules). Must be safe to run
    in several workers at once: each job claims its rows with row locks itself."""

    name: str
    func: Callable[[], object]
    interval_seconds: float


_PERIODIC: dict[str, PeriodicJob] = {}


def register_periodic(name: str, *, interval_seconds: float) -> Callable[[Callable[[], object]], Callable[[], object]]:
    """Register ``func`` to be called by every worker about every ``interval_seconds``."""

    def decorator(func: Callable[[], object]) -> Callable[[], object]:
        _PERIODIC[name] = PeriodicJob(name, func, float(interval_seconds))
        return func

    return decorator


def periodic_jobs() -> list[PeriodicJob]:
    """The registered periodic jobs, by name."""
    return [_PERIODIC[name] for name in sorted(_PERIODIC)]


def autodiscover_handlers() -> None:
    """Import every app's ``operation_handlers`` module and the modules in ``TENANTPILOT_OPERATION_MODULES``."""
    autodiscover_modules(HANDLER_MODULE_NAME)
    for module in getattr(settings, "TENANTPILOT_OPERATION_MODULES", ()):
        importlib.import_module(module)
