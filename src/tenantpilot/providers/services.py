"""Writes of provider connections: authorized, validated, audited; the secret never leaves the store.

Invariant kept here (at least one default) on top of the database's (at most one default):
while an environment has connections, exactly one of them is its default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.services import audit_record
from tenantpilot.core.errors import Conflict, NotFound, ValidationFailed
from tenantpilot.operations.choices import OperationType
from tenantpilot.operations.services import StartResult, operation_start
from tenantpilot.tenancy.authority import authorize
from tenantpilot.tenancy.models import ManagedEnvironment, Workspace, validate_tenant_guid

from . import policies
from .choices import AuthType, ConnectionHealth, ConnectionStatus, ProviderKey
from .credentials import (
    Material,
    add_key_to_key_file,
    certificate_material,
    credential_store,
    prune_key_file,
    rotate_credentials,
    secret_material,
)
from .gateway import forget_connection
from .models import ProviderConnection
from .signals import send_connection_health_recorded


def _material(
    auth_type: str, *, client_secret: str | None, certificate: bytes | str | None, certificate_password: str | None
) -> Material:
    if auth_type == AuthType.CLIENT_SECRET:
        return secret_material(client_secret)
    if auth_type == AuthType.CERTIFICATE:
        return certificate_material(certificate, certificate_password)
    raise ValidationFailed("Choose client secret or certificate.", field="auth_type")


def _guid(value: str, field: str, label: str) -> str:
    value = (value or "").strip().lower()
    try:
        validate_tenant_guid(value)
    except ValidationError:
        raise ValidationFailed(f"Enter the {label} as a GUID.", field=field) from None
    return value


DUPLICATE_NAME = "This environment already has a connection with this name."


def _check_environment_tenant(environment: ManagedEnvironment, tenant: str) -> None:
    if tenant != environment.tenant_id:
        raise ValidationFailed(
            "This is not the environment's tenant id. A connection must target its environment's tenant.",
            field="entra_tenant_id",
        )


def _check_name_free(environment_id: int, display_name: str, *, exclude_pk: int | None = None) -> None:
    qs = ProviderConnection.objects.filter(environment_id=environment_id, display_name=display_name)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationFailed(DUPLICATE_NAME, field="display_name")


def _credential_metadata(material: Material) -> dict[str, Any]:
    thumbprint = getattr(material, "thumbprint", None)
    return {
        "auth_type": AuthType.CERTIFICATE if thumbprint else AuthType.CLIENT_SECRET,
        "certificate_thumbprint": thumbprint,
    }


def _audit(actor: Any, action: AuditAction, connection: ProviderConnection, **metadata: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        workspace=connection.environment.workspace,
        environment=connection.environment,
        target=connection,
        metadata={"provider_key": connection.provider_key, "client_id": connection.client_id, **metadata},
    )


def connection_create(
    *,
    actor: Any,
    environment: ManagedEnvironment,
    display_name: str,
    entra_tenant_id: str,
    client_id: str,
    auth_type: str,
    client_secret: str | None = None,
    certificate: bytes | str | None = None,
    certificate_password: str | None = None,
) -> ProviderConnection:
    """Connect an environment to its Microsoft tenant. The first connection becomes the default."""
    authorize(actor, policies.MANAGE_CONNECTIONS, environment)
    if environment.is_archived:
        raise Conflict("The environment is archived. Restore it before adding connections.")
    display_name = (display_name or "").strip()
    if not display_name:
        raise ValidationFailed("Enter a name.", field="display_name")
    tenant = _guid(entra_tenant_id, "entra_tenant_id", "tenant id")
    _check_environment_tenant(environment, tenant)
    app = _guid(client_id, "client_id", "application (client) id")
    material = _material(
        auth_type, client_secret=client_secret, certificate=certificate, certificate_password=certificate_password
    )
    connection = ProviderConnection(
        workspace_id=environment.workspace_id,
        environment=environment,
        provider_key=ProviderKey.MICROSOFT,
        display_name=display_name,
        entra_tenant_id=tenant,
        client_id=app,
        auth_type=auth_type,
    )
    try:
        connection.full_clean(exclude=["is_default"], validate_constraints=False)
    except ValidationError as exc:
        raise ValidationFailed.from_django(exc) from None
    try:
        with transaction.atomic():
            # Re-check under the lock: the tenant id may have changed since the caller loaded it.
            locked = ManagedEnvironment.objects.select_for_update().get(pk=environment.pk)
            if locked.is_archived:
                raise Conflict("The environment is archived. Restore it before adding connections.")
            _check_environment_tenant(locked, tenant)
            _check_name_free(environment.pk, display_name)
            connection.is_default = not ProviderConnection.objects.filter(environment=environment).exists()
            connection.save()
            credential_store(connection, material)
            _audit(
                actor,
                AuditAction.CONNECTION_CREATED,
                connection,
                is_default=connection.is_default,
                **_credential_metadata(material),
            )
    except IntegrityError:
        raise ValidationFailed(DUPLICATE_NAME, field="display_name") from None
    return connection


def connection_update(
    *, actor: Any, connection: ProviderConnection, display_name: str, client_id: str
) -> ProviderConnection:
    """Rename a connection or point it at another app registration (the credential stays)."""
    authorize(actor, policies.MANAGE_CONNECTIONS, connection)
    display_name = (display_name or "").strip()
    if not display_name:
        raise ValidationFailed("Enter a name.", field="display_name")
    app = _guid(client_id, "client_id", "application (client) id")
    try:
        with transaction.atomic():
            current = (
                ProviderConnection.objects.select_for_update()
                .select_related("environment__workspace")
                .get(pk=connection.pk)
            )
            changed = sorted(
                name
                for name, value in (("display_name", display_name), ("client_id", app))
                if getattr(current, name) != value
            )
            if not changed:
                return current
            _check_name_free(current.environment_id, display_name, exclude_pk=current.pk)
            current.display_name, current.client_id = display_name, app
            if "client_id" in changed:
                current.health = ConnectionHealth.UNKNOWN
            current.save()
            _audit(actor, AuditAction.CONNECTION_UPDATED, current, changed_fields=changed)
    except IntegrityError:
        raise ValidationFailed(DUPLICATE_NAME, field="display_name") from None
    forget_connection(current.pk)
    return current


def connection_replace_credential(
    *,
    actor: Any,
    connection: ProviderConnection,
    auth_type: str,
    client_secret: str | None = None,
    certificate: bytes | str | None = None,
    certificate_password: str | None = None,
) -> ProviderConnection:
    """Replace the secret or certificate (write-only: the old one is never shown)."""
    authorize(actor, policies.MANAGE_CONNECTIONS, connection)
    material = _material(
        auth_type, client_secret=client_secret, certificate=certificate, certificate_password=certificate_password
    )
    with transaction.atomic():
        current = (
            ProviderConnection.objects.select_for_update()
            .select_related("environment__workspace")
            .get(pk=connection.pk)
        )
        current.auth_type = auth_type
        current.health = ConnectionHealth.UNKNOWN
        current.last_reason_code = ""
        current.last_message = ""
        current.save(update_fields=["auth_type", "health", "last_reason_code", "last_message", "updated_at"])
        credential_store(current, material)
        _audit(actor, AuditAction.CONNECTION_CREDENTIAL_REPLACED, current, **_credential_metadata(material))
    forget_connection(current.pk)
    return current


def connection_set_default(*, actor: Any, connection: ProviderConnection) -> ProviderConnection:
    """Make ``connection`` the environment's default, demoting the old one in the same transaction."""
    authorize(actor, policies.MANAGE_CONNECTIONS, connection)
    with transaction.atomic():
        ManagedEnvironment.objects.select_for_update().get(pk=connection.environment_id)
        current = ProviderConnection.objects.select_related("environment__workspace").get(pk=connection.pk)
        if current.is_default:
            return current
        previous = ProviderConnection.objects.filter(environment_id=current.environment_id, is_default=True).first()
        if previous is not None:
            ProviderConnection.objects.filter(pk=previous.pk).update(is_default=False)
        current.is_default = True
        current.save(update_fields=["is_default", "updated_at"])
        _audit(
            actor,
            AuditAction.CONNECTION_DEFAULT_CHANGED,
            current,
            previous_default_id=previous.pk if previous else None,
        )
    return current


def connection_set_enabled(*, actor: Any, connection: ProviderConnection, enabled: bool) -> ProviderConnection:
    """Allow or stop the use of a connection (a disabled connection runs no operation)."""
    authorize(actor, policies.MANAGE_CONNECTIONS, connection)
    status = ConnectionStatus.ENABLED if enabled else ConnectionStatus.DISABLED
    with transaction.atomic():
        current = (
            ProviderConnection.objects.select_for_update()
            .select_related("environment__workspace")
            .get(pk=connection.pk)
        )
        if current.status == status:
            raise Conflict("The connection is already enabled." if enabled else "The connection is already disabled.")
        current.status = status
        current.save(update_fields=["status", "updated_at"])
        _audit(actor, AuditAction.CONNECTION_ENABLED if enabled else AuditAction.CONNECTION_DISABLED, current)
    return current


@dataclass(frozen=True)
class ConnectionUse:
    """Live records of another domain that still rely on a connection (e.g. its active bindings).

    ``kind`` is a stable id an interface can link from (``active_bindings``); ``description``
    says what and how many in words ("2 active resource bindings").
    """

    kind: str
    count: int
    description: str


#: A check another app registers (in its ``AppConfig.ready``) so that this module can refuse to
#: delete a connection in use without importing the apps above it.
ConnectionUseCheck = Callable[[ProviderConnection], ConnectionUse | None]
_USE_CHECKS: list[ConnectionUseCheck] = []


def register_connection_use_check(check: ConnectionUseCheck) -> None:
    """Register ``check`` (idempotent); :func:`connection_delete` refuses while any reports a use."""
    if check not in _USE_CHECKS:
        _USE_CHECKS.append(check)


def connection_uses(connection: ProviderConnection) -> list[ConnectionUse]:
    """Every registered use of ``connection`` with a non-zero count (reads only)."""
    uses = [check(connection) for check in _USE_CHECKS]
    return [use for use in uses if use is not None and use.count > 0]


class ConnectionInUse(Conflict):
    """The connection still carries live decisions; deleting it would silently unlink them."""

    def __init__(self, uses: list[ConnectionUse]) -> None:
        self.uses = uses
        what = ", ".join(use.description for use in uses)
        super().__init__(
            f"This connection is still used by {what}. Supersede them onto another connection or revoke "
            "them first; then delete the connection."
        )


def connection_delete(*, actor: Any, connection: ProviderConnection) -> None:
    """Delete a connection and its credential; promote another connection if it was the default.

    Refused with :class:`ConnectionInUse` (nothing deleted) while a registered use check reports
    live records, e.g. active resource bindings: the database would otherwise unlink them
    silently (``SET_NULL``) with no audit row for the binding. The check runs under the
    connection's row lock, which ``binding_create`` takes too, so a binding cannot slip in.
    """
    authorize(actor, policies.MANAGE_CONNECTIONS, connection)
    with transaction.atomic():
        ManagedEnvironment.objects.select_for_update().get(pk=connection.environment_id)
        current = (
            ProviderConnection.objects.select_for_update(of=("self",))
            .select_related("environment__workspace")
            .filter(pk=connection.pk)
            .first()
        )
        if current is None:
            raise NotFound()  # deleted meanwhile
        uses = connection_uses(current)
        if uses:
            raise ConnectionInUse(uses)
        successor = None
        if current.is_default:
            successor = (
                ProviderConnection.objects.filter(environment_id=current.environment_id)
                .exclude(pk=current.pk)
                .order_by("-status", "created_at", "pk")  # enabled before disabled, then oldest
                .first()
            )
        _audit(
            actor,
            AuditAction.CONNECTION_DELETED,
            current,
            was_default=current.is_default,
            new_default_id=successor.pk if successor else None,
        )
        current.delete()
        if successor is not None:
            successor.is_default = True
            successor.save(update_fields=["is_default", "updated_at"])
    forget_connection(connection.pk)


def connection_record_health(
    *, connection: ProviderConnection, health: str, reason_code: str, message: str, permissions: dict[str, str]
) -> ProviderConnection:
    """Store a health check's result (a system write by the worker; audited when it changes)."""
    with transaction.atomic():
        current = (
            ProviderConnection.objects.select_for_update()
            .select_related("environment__workspace")
            .get(pk=connection.pk)
        )
        previous_health, previous_reason_code = current.health, current.last_reason_code
        changed = (previous_health, previous_reason_code) != (health, reason_code)
        current.health = health
        current.last_reason_code = reason_code
        current.last_message = message[:300]
        current.permission_report = permissions
        current.last_checked_at = timezone.now()
        current.save(
            update_fields=[
                "health",
                "last_reason_code",
                "last_message",
                "permission_report",
                "last_checked_at",
                "updated_at",
            ]
        )
        if changed:
            _audit(None, AuditAction.CONNECTION_HEALTH_RECORDED, current, health=health, reason_code=reason_code)
        send_connection_health_recorded(
            current, previous_health=previous_health, previous_reason_code=previous_reason_code
        )
    return current


def connection_check_start(*, actor: Any, connection: ProviderConnection) -> StartResult:
    """Enqueue a health check of ``connection`` (never runs it in the request).

    A check of this same connection already active: that run is returned (deduped). Anything
    else active in the environment — another operation, or a check of another connection — is
    ``ScopeBusy`` naming and linking that run (one run per environment at a time).
    """
    authorize(actor, policies.RUN_CONNECTION_OPERATIONS, connection)
    if not connection.is_enabled:
        raise Conflict("The connection is disabled. Enable it before checking it.")
    return operation_start(
        actor=actor,
        operation_type=OperationType.PROVIDER_HEALTH_CHECK,
        environment=connection.environment,
        connection=connection,
    )


def credentials_rotate(*, new_key: bool, prune: bool) -> tuple[int, int]:
    """Re-encrypt every credential with the newest key; audit one row per workspace touched.

    ``new_key`` first puts a fresh key in the embedded key file. Nothing changes in the database
    if any credential cannot be decrypted. Returns (credentials re-encrypted, old keys pruned).
    """
    if new_key:
        add_key_to_key_file()
    with transaction.atomic():
        per_workspace = rotate_credentials()
        for workspace in Workspace.objects.filter(pk__in=per_workspace):
            audit_record(
                actor=None,
                action=AuditAction.CREDENTIAL_KEYS_ROTATED,
                workspace=workspace,
                target=workspace,
                # Not ``credentials``: redaction drops any key that names a secret.
                metadata={"reencrypted_count": per_workspace[workspace.pk]},
            )
    pruned = prune_key_file() if prune else 0
    return sum(per_workspace.values()), pruned
