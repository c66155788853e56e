"""Registered reason codes of a failed (or skipped) run.

A run stores only a registered code plus a sanitized message. Registered are the run-level codes
below and every Graph failure code of ``tenantpilot.graph.reasons.ReasonCode``.
"""

from __future__ import annotations

from enum import StrEnum

from tenantpilot.graph.reasons import ReasonCode


class RunReason(StrEnum):
    """Why a run ended without succeeding, when the cause is not a Graph call."""

    WORKER_LOST = "worker_lost"
    INTERNAL_ERROR = "internal_error"
    CANCELLED = "cancelled"
    TENANT_MISMATCH = "tenant_mismatch"
    CONNECTION_DISABLED = "connection_disabled"
    NO_CONNECTION = "no_connection"
    SCOPE_BUSY_SKIPPED = "scope_busy_skipped"
    CREDENTIAL_UNAVAILABLE = "credential_unavailable"
    BASELINE_EVIDENCE_UNUSABLE = "baseline_evidence_unusable"
    BASELINE_NO_SNAPSHOT = "baseline_no_snapshot"


_RUN_REASONS: dict[RunReason, tuple[str, str]] = {
    RunReason.WORKER_LOST: (
        "Worker lost",
        "The worker running this operation stopped answering. Start the operation again.",
    ),
    RunReason.INTERNAL_ERROR: (
        "Internal error",
        "TenantPilot hit an unexpected error while running this operation. Retry; report it if it persists.",
    ),
    RunReason.CANCELLED: ("Cancelled", "The operation was cancelled before it finished."),
    RunReason.TENANT_MISMATCH: (
        "Tenant mismatch",
        "The connection's tenant does not match the environment's tenant. Fix the connection or the environment.",
    ),
    RunReason.CONNECTION_DISABLED: (
        "Connection disabled",
        "The connection is disabled. Enable it, or choose another connection.",
    ),
    RunReason.NO_CONNECTION: (
        "No connection",
        "The environment has no usable provider connection. Add a connection first.",
    ),
    RunReason.SCOPE_BUSY_SKIPPED: (
        "Skipped: scope busy",
        "Another operation was running for this environment, so this one was skipped.",
    ),
    RunReason.CREDENTIAL_UNAVAILABLE: (
        "Credential unavailable",
        "The stored secret cannot be decrypted with the configured key ring: restore the key or enter the secret again.",
    ),
    RunReason.BASELINE_EVIDENCE_UNUSABLE: (
        "Evidence unusable",
        "The source inventory is too old or incomplete to capture a baseline from. Sync it, or capture anyway with a note.",
    ),
    RunReason.BASELINE_NO_SNAPSHOT: (
        "No baseline snapshot",
        "The baseline profile has no complete snapshot yet. Capture one first.",
    ),
}
if set(_RUN_REASONS) != set(RunReason):
    raise RuntimeError("every RunReason needs a label and a default message")


def is_registered_reason(code: object) -> bool:
    """True for a run-level reason or a Graph reason code."""
    return isinstance(code, str) and (code in RunReason._value2member_map_ or code in ReasonCode._value2member_map_)


def reason_label(code: str) -> str:
    """A short human title of a registered code (the code itself when unknown)."""
    if code in RunReason._value2member_map_:
        return _RUN_REASONS[RunReason(code)][0]
    if code in ReasonCode._value2member_map_:
        return ReasonCode(code).label
    return code


def reason_default_message(code: str) -> str:
    """What happened and what to do, for a registered code ("" when unknown)."""
    if code in RunReason._value2member_map_:
        return _RUN_REASONS[RunReason(code)][1]
    if code in ReasonCode._value2member_map_:
        return ReasonCode(code).default_message
    return ""
