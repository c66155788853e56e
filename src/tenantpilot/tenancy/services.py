"""Writes of the tenancy domain. Each one authorizes, validates, writes and audits atomically."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.services import audit_record
from tenantpilot.authz.roles import Role, can_grant
from tenantpilot.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tenantpilot.tenancy.authority import Scope, authorize, scope_for_workspace

from . import policies
from .models import EnvironmentAccess, ManagedEnvironment, Workspace, WorkspaceMembership

ENVIRONMENT_FIELDS = ("display_name", "tenant_id", "default_domain")


def _full_clean(instance: Any, *, exclude: Iterable[str] | None = None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise ValidationFailed.from_django(exc) from None


def workspace_create(*, actor: Any, name: str, slug: str = "", owner: Any) -> Workspace:
    """Create a workspace with ``owner`` as its first Owner (platform/CLI action, not console)."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Enter a name.", field="name")
    with transaction.atomic():
        workspace = Workspace(name=name, slug=slugify(slug or name)[:64])
        if not workspace.slug:
            raise ValidationFailed("Enter a slug made of letters, digits or hyphens.", field="slug")
        if Workspace.objects.filter(slug=workspace.slug).exists():
            raise ValidationFailed("A workspace with this slug exists.", field="slug")
        _full_clean(workspace)
        workspace.save()
        membership = WorkspaceMembership(workspace=workspace, user=owner, role=Role.OWNER)
        membership.save()
        audit_record(
            actor=actor,
            action=AuditAction.WORKSPACE_CREATED,
            workspace=workspace,
            target=workspace,
            metadata={"slug": workspace.slug, "owner_user_id": owner.pk},
        )
    return workspace


def _normalized(values: dict[str, str]) -> dict[str, str]:
    """Trim every field; tenant ids and domains are case-insensitive, so store them lower-case."""
    out = {name: (value or "").strip() for name, value in values.items()}
    for name in ("tenant_id", "default_domain"):
        if name in out:
            out[name] = out[name].lower()
    return out


def _check_tenant_unique(workspace: Workspace, tenant_id: str, *, exclude_pk: int | None = None) -> None:
    qs = ManagedEnvironment.objects.filter(workspace=workspace, tenant_id=tenant_id)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationFailed("This workspace already has an environment for this tenant id.", field="tenant_id")


def _refuse_tenant_change_when_restricted(scope: Scope) -> None:
    """A restricted member may not change a tenant id: "already taken" would reveal a hidden environment."""
    if not policies.can_change_tenant_id(scope):
        raise ValidationFailed(policies.RESTRICTED_TENANT_CHANGE_MESSAGE, field="tenant_id")


def environment_create(
    *, actor: Any, workspace: Workspace, display_name: str, tenant_id: str, default_domain: str = ""
) -> ManagedEnvironment:
    """Register a customer tenant in ``workspace``.

    Only members who see every environment of the workspace may add one (``Forbidden``
    otherwise). A restricted member is refused whatever the tenant id, because any answer that
    depended on it ("this tenant id is taken") would tell them that a hidden environment exists.
    """
    scope = authorize(actor, policies.CREATE_ENVIRONMENT, workspace)
    if not policies.can_create_environment(scope):
        raise Forbidden(policies.RESTRICTED_CREATE_MESSAGE)
    environment = ManagedEnvironment(
        workspace=workspace,
        **_normalized({"display_name": display_name, "tenant_id": tenant_id, "default_domain": default_domain}),
    )
    _full_clean(environment, exclude=["workspace"])
    try:
        with transaction.atomic():
            _check_tenant_unique(workspace, environment.tenant_id)
            environment.save()
            audit_record(
                actor=actor,
                action=AuditAction.ENVIRONMENT_CREATED,
                workspace=workspace,
                environment=environment,
                target=environment,
                metadata={"tenant_id": environment.tenant_id},
            )
    except IntegrityError:
        # Lost a race with a concurrent create of the same tenant id.
        raise ValidationFailed(
            "This workspace already has an environment for this tenant id.", field="tenant_id"
        ) from None
    return environment


TENANT_CHANGE_WITH_DATA_MESSAGE = (
    "The tenant id cannot change while this environment has {what}: they belong to the current tenant. "
    "Archive this environment and create a new one for the other tenant."
)


def _refuse_tenant_change_with_data(environment: ManagedEnvironment) -> None:
    """Connections, inventory and bindings belong to the tenant they were made for; never re-home them."""
    held = [
        label
        for label, related in (
            ("connections", environment.provider_connections),
            ("inventory", environment.inventory_items),
            ("compliance snapshots", environment.compliance_snapshots),
            ("resource bindings", environment.resource_bindings),
        )
        if related.exists()
    ]
    if held:
        raise ValidationFailed(TENANT_CHANGE_WITH_DATA_MESSAGE.format(what=", ".join(held)), field="tenant_id")


def environment_update(*, actor: Any, environment: ManagedEnvironment, **changes: str) -> ManagedEnvironment:
    """Change an environment's display name, tenant id or default domain.

    The tenant id changes only while the environment holds nothing made for its tenant (no
    connection, inventory, compliance snapshot or binding); otherwise ``ValidationFailed`` on
    ``tenant_id`` tells the operator to archive it and create a new environment. The check runs
    under the environment's row lock, which ``connection_create`` takes too.
    """
    unknown = set(changes) - set(ENVIRONMENT_FIELDS)
    if unknown:
        raise ValidationFailed("Unknown field.", field=sorted(unknown)[0])
    scope = authorize(actor, policies.UPDATE_ENVIRONMENT, environment)
    try:
        with transaction.atomic():
            current = ManagedEnvironment.objects.select_for_update().get(pk=environment.pk)
            before = {f: getattr(current, f) for f in ENVIRONMENT_FIELDS}
            for name, value in _normalized(changes).items():
                setattr(current, name, value)
            _full_clean(current, exclude=["workspace"])
            changed = sorted(f for f in ENVIRONMENT_FIELDS if getattr(current, f) != before[f])
            if not changed:
                return current
            if "tenant_id" in changed:
                _refuse_tenant_change_when_restricted(scope)
                _refuse_tenant_change_with_data(current)
                _check_tenant_unique(current.workspace, current.tenant_id, exclude_pk=current.pk)
            current.save()
            audit_record(
                actor=actor,
                action=AuditAction.ENVIRONMENT_UPDATED,
                workspace=current.workspace,
                environment=current,
                target=current,
                metadata={"changed_fields": changed, "tenant_id": current.tenant_id},
            )
    except IntegrityError:
        raise ValidationFailed(
            "This workspace already has an environment for this tenant id.", field="tenant_id"
        ) from None
    return current


def environment_set_archived(*, actor: Any, environment: ManagedEnvironment, archived: bool) -> ManagedEnvironment:
    """Archive (hide from daily work, keep all history) or restore an environment."""
    authorize(actor, policies.ARCHIVE_ENVIRONMENT, environment)
    with transaction.atomic():
        current = ManagedEnvironment.objects.select_for_update().get(pk=environment.pk)
        if current.is_archived == archived:
            raise Conflict("The environment is already archived." if archived else "The environment is not archived.")
        current.archived_at = timezone.now() if archived else None
        current.save(update_fields=["archived_at", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.ENVIRONMENT_ARCHIVED if archived else AuditAction.ENVIRONMENT_RESTORED,
            workspace=current.workspace,
            environment=current,
            target=current,
        )
    return current


def _manager_scope(actor: Any, workspace: Workspace) -> Scope:
    scope = scope_for_workspace(actor, workspace)
    scope.require(policies.MANAGE_MEMBERS)
    return scope


def _require_role(role: str) -> Role:
    if role not in Role.values:
        raise ValidationFailed("Choose one of the listed roles.", field="role")
    return Role(role)


def _lock_owner_count(workspace: Workspace) -> int:
    owners = list(
        WorkspaceMembership.objects.select_for_update()
        .filter(workspace=workspace, role=Role.OWNER)
        .values_list("pk", flat=True)
    )
    return len(owners)


def membership_add(*, actor: Any, workspace: Workspace, user_identifier: str, role: str) -> WorkspaceMembership:
    """Add an existing user (by username or e-mail) to the workspace with ``role``.

    A member added by a *restricted* actor starts restricted, with no environment: an
    unrestricted membership would see environments hidden from the actor. The actor then grants
    environments they see themselves through ``membership_set_environment_access``.
    """
    scope = _manager_scope(actor, workspace)
    new_role = _require_role(role)
    if not can_grant(scope.role, new_role):
        raise Forbidden("You cannot grant a role above your own.")
    identifier = (user_identifier or "").strip()
    if not identifier:
        raise ValidationFailed("Enter a username or e-mail address.", field="user")
    user_model = get_user_model()
    matches = list(user_model.objects.filter(is_active=True, username__iexact=identifier)[:2]) or list(
        user_model.objects.filter(is_active=True, email__iexact=identifier)[:2]
    )
    if len(matches) != 1:
        raise ValidationFailed("No single active user has this username or e-mail address.", field="user")
    user = matches[0]
    try:
        with transaction.atomic():
            if WorkspaceMembership.objects.filter(workspace=workspace, user=user).exists():
                raise ValidationFailed("This user is already a member.", field="user")
            membership = WorkspaceMembership.objects.create(
                workspace=workspace, user=user, role=new_role, restricted_environments=scope.is_restricted
            )
            audit_record(
                actor=actor,
                action=AuditAction.MEMBER_ADDED,
                workspace=workspace,
                target=membership,
                metadata={"user_id": user.pk, "role": new_role.value, "restricted": membership.restricted_environments},
            )
    except IntegrityError:
        raise ValidationFailed("This user is already a member.", field="user") from None
    return membership


def membership_change_role(*, actor: Any, membership: WorkspaceMembership, role: str) -> WorkspaceMembership:
    """Change a member's role; never above the actor's own, never leaving no owner, never one's own."""
    scope = _manager_scope(actor, membership.workspace)
    new_role = _require_role(role)
    with transaction.atomic():
        owner_count = _lock_owner_count(membership.workspace)
        current = WorkspaceMembership.objects.select_for_update().filter(pk=membership.pk).first()
        if current is None or current.workspace_id != scope.workspace.pk:
            raise NotFound()
        if policies.is_own_membership(scope, current):
            raise Forbidden(policies.OWN_ACCESS_MESSAGE)
        if not (can_grant(scope.role, current.role) and can_grant(scope.role, new_role)):
            raise Forbidden("You cannot change a role above your own.")
        if current.role == new_role:
            return current
        if current.role == Role.OWNER and owner_count <= 1:
            raise Conflict("A workspace needs at least one owner. Make someone else owner first.")
        old_role = current.role
        current.role = new_role
        current.save(update_fields=["role"])
        audit_record(
            actor=actor,
            action=AuditAction.MEMBER_ROLE_CHANGED,
            workspace=current.workspace,
            target=current,
            metadata={"user_id": current.user_id, "from_role": old_role, "to_role": new_role.value},
        )
    return current


def membership_remove(*, actor: Any, membership: WorkspaceMembership) -> None:
    """Remove a member; never the last owner."""
    scope = _manager_scope(actor, membership.workspace)
    with transaction.atomic():
        owner_count = _lock_owner_count(membership.workspace)
        current = WorkspaceMembership.objects.select_for_update().filter(pk=membership.pk).first()
        if current is None or current.workspace_id != scope.workspace.pk:
            raise NotFound()
        if not can_grant(scope.role, current.role):
            raise Forbidden("You cannot remove a member whose role is above your own.")
        if current.role == Role.OWNER and owner_count <= 1:
            raise Conflict("The last owner cannot be removed. Make someone else owner first.")
        audit_record(
            actor=actor,
            action=AuditAction.MEMBER_REMOVED,
            workspace=current.workspace,
            target=current,
            metadata={"user_id": current.user_id, "role": current.role},
        )
        current.delete()


def membership_set_environment_access(
    *, actor: Any, membership: WorkspaceMembership, restricted: bool, environment_ids: Iterable[int]
) -> WorkspaceMembership:
    """Let a member see every environment, or only the listed ones — never beyond the actor's own sight.

    Guarantees:
    - nobody changes their own access (``Forbidden``), so nobody widens it;
    - only environments the actor may see can be granted: any other id, hidden or missing,
      gets the same field error on ``environments`` (no existence oracle);
    - a restricted actor cannot lift a restriction ("all environments" exceeds what they see:
      a field error on ``restricted``), nor restrict a member who sees everything (that would
      decide about environments hidden from the actor: same field error);
    - grants of environments hidden from the actor are kept as they are: the actor neither sees
      nor decides them.
    """
    scope = _manager_scope(actor, membership.workspace)
    try:
        wanted = sorted({int(pk) for pk in environment_ids}) if restricted else []
    except (TypeError, ValueError):
        raise ValidationFailed("Choose environments of this workspace.", field="environments") from None
    with transaction.atomic():
        current = WorkspaceMembership.objects.select_for_update().filter(pk=membership.pk).first()
        if current is None or current.workspace_id != scope.workspace.pk:
            raise NotFound()
        if policies.is_own_membership(scope, current):
            raise Forbidden(policies.OWN_ACCESS_MESSAGE)
        if not can_grant(scope.role, current.role):
            raise Forbidden("You cannot change access of a member whose role is above your own.")
        if scope.is_restricted and not (restricted and current.restricted_environments):
            raise ValidationFailed(policies.RESTRICTED_GRANT_ALL_MESSAGE, field="restricted")
        visible = ManagedEnvironment.objects.visible_to(scope)
        environments = list(visible.filter(pk__in=wanted))
        if len(environments) != len(wanted):
            raise ValidationFailed("Choose environments of this workspace.", field="environments")
        current.restricted_environments = restricted
        current.save(update_fields=["restricted_environments"])
        # Only the actor's part of the grants is replaced; hidden grants stay untouched.
        EnvironmentAccess.objects.filter(membership=current, environment__in=visible.values("pk")).delete()
        grants = [
            EnvironmentAccess(workspace=current.workspace, membership=current, environment=e) for e in environments
        ]
        for grant in grants:
            grant.full_clean()
        EnvironmentAccess.objects.bulk_create(grants)
        if not restricted:
            EnvironmentAccess.objects.filter(membership=current).delete()
        audit_record(
            actor=actor,
            action=AuditAction.MEMBER_ACCESS_CHANGED,
            workspace=current.workspace,
            target=current,
            metadata={"user_id": current.user_id, "restricted": restricted, "environment_ids": wanted},
        )
    return current
