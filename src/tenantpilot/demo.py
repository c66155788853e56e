"""The demo data set: one workspace, graphsim's customer tenants with connections, one login per role,
and a baseline profile captured from the golden tenant and compared with the others.

Idempotent: running it again finds what exists and resets the demo passwords, so the printed
logins always work. Every write goes through the domain services (audited like any other).

The first start also chains the work a newcomer should find done on first login
(:func:`demo_advance`, run every few seconds by the demo's embedded worker): sync every demo
environment's inventory, capture "Contoso baseline" from the golden tenant once its sync
succeeded, then compare every assigned environment once its sync finished. Each step is derived
from the database (what runs exist), so the chain survives restarts and never repeats a step.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet

from graphsim import fixtures_catalog as fx
from tenantpilot.authz.roles import Role
from tenantpilot.baselines import services as baseline_services
from tenantpilot.baselines.choices import GOVERNED_POLICY_TYPES, SnapshotStatus
from tenantpilot.baselines.models import BaselineAssignment, BaselineProfile, BaselineSnapshot
from tenantpilot.core.errors import Conflict, ValidationFailed
from tenantpilot.operations.choices import ACTIVE_STATUSES, OperationType, RunOutcome, RunStatus
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.services import operation_start
from tenantpilot.providers import services as provider_services
from tenantpilot.providers.choices import AuthType
from tenantpilot.providers.models import ProviderConnection
from tenantpilot.providers.selectors import connection_for_operations
from tenantpilot.tenancy import services
from tenantpilot.tenancy.models import ManagedEnvironment, Workspace, WorkspaceMembership

DEMO_WORKSPACE_SLUG = "demo-msp"
DEMO_PASSWORD_PREFIX = "demo-"  # noqa: S105 - local demo logins only; the console listens on 127.0.0.1
# The demo's customer tenants are graphsim's shipped tenants, each with one connection whose
# credentials the simulator knows (the Woodgrove one has an expired secret on purpose).
DEMO_ENVIRONMENTS = (
    ("Contoso (golden)", fx.GOLDEN_TENANT_ID, fx.GOLDEN_DOMAIN, fx.GOLDEN_CLIENT_ID, fx.GOLDEN_CLIENT_SECRET),
    ("Fabrikam (drifted)", fx.DRIFTED_TENANT_ID, fx.DRIFTED_DOMAIN, fx.DRIFTED_CLIENT_ID, fx.DRIFTED_CLIENT_SECRET),
    (
        "Northwind (duplicate names)",
        fx.DUPLICATES_TENANT_ID,
        fx.DUPLICATES_DOMAIN,
        fx.DUPLICATES_CLIENT_ID,
        fx.DUPLICATES_CLIENT_SECRET,
    ),
    ("Tailspin (renamed)", fx.RENAMED_TENANT_ID, fx.RENAMED_DOMAIN, fx.RENAMED_CLIENT_ID, fx.RENAMED_CLIENT_SECRET),
    (
        "Woodgrove (expired secret)",
        fx.BROKEN_TENANT_ID,
        fx.BROKEN_DOMAIN,
        fx.BROKEN_EXPIRED_CLIENT_ID,
        fx.BROKEN_EXPIRED_CLIENT_SECRET,
    ),
)


DEMO_PROFILE_NAME = "Contoso baseline"
DEMO_PROFILE_DESCRIPTION = "The golden tenant's Intune configuration; every other healthy customer is compared with it."
#: The baseline's source, and the healthy customers it is assigned to (Woodgrove's secret is expired).
DEMO_GOLDEN_TENANT_ID = fx.GOLDEN_TENANT_ID
DEMO_COMPARED_TENANT_IDS = (fx.DRIFTED_TENANT_ID, fx.DUPLICATES_TENANT_ID, fx.RENAMED_TENANT_ID)

#: Set (to any non-empty value) by ``tenantpilot demo`` for its worker: human console logs.
HUMAN_LOGS_ENV = "TENANTPILOT_DEMO_HUMAN_LOGS"
#: Loggers still shown at INFO in the demo's human logs (the run lines); everything else: warnings.
DEMO_LOUD_LOGGERS = ("tenantpilot.demo",)
#: Loggers whose warnings repeat what a run's end line already says (one per Graph call or policy
#: type of a failing run): errors only in the demo.
DEMO_QUIET_LOGGERS = ("tenantpilot.graph", "tenantpilot.inventory.sync")

logger = logging.getLogger("tenantpilot.demo")


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str


def seed_demo() -> list[DemoLogin]:
    """Create (or refresh) the demo workspace and return the logins to print."""
    user_model = get_user_model()
    logins: list[DemoLogin] = []
    with transaction.atomic():
        users = {}
        for role in Role:
            username = f"{role.value}@demo.local"
            user, _ = user_model.objects.get_or_create(username=username, defaults={"email": username})
            password = f"{DEMO_PASSWORD_PREFIX}{role.value}"
            user.set_password(password)
            user.save()
            users[role] = user
            logins.append(DemoLogin(username, password, role.label))
        admin, _ = user_model.objects.get_or_create(
            username="admin", defaults={"email": "admin@demo.local", "is_staff": True, "is_superuser": True}
        )
        admin.set_password(f"{DEMO_PASSWORD_PREFIX}admin")
        admin.save()
        logins.append(DemoLogin("admin", f"{DEMO_PASSWORD_PREFIX}admin", "Platform superuser (/system/)"))

        owner = users[Role.OWNER]
        workspace = Workspace.objects.filter(slug=DEMO_WORKSPACE_SLUG).first()
        if workspace is None:
            workspace = services.workspace_create(actor=owner, name="Demo MSP", slug=DEMO_WORKSPACE_SLUG, owner=owner)
        for role, user in users.items():
            if not WorkspaceMembership.objects.filter(workspace=workspace, user=user).exists():
                services.membership_add(actor=owner, workspace=workspace, user_identifier=user.username, role=role)
        for name, tenant_id, domain, client_id, secret in DEMO_ENVIRONMENTS:
            environment = ManagedEnvironment.objects.filter(workspace=workspace, tenant_id=tenant_id).first()
            if environment is None:
                environment = services.environment_create(
                    actor=owner, workspace=workspace, display_name=name, tenant_id=tenant_id, default_domain=domain
                )
            if not ProviderConnection.objects.filter(environment=environment).exists():
                provider_services.connection_create(
                    actor=owner,
                    environment=environment,
                    display_name="TenantPilot reader",
                    entra_tenant_id=tenant_id,
                    client_id=client_id,
                    auth_type=AuthType.CLIENT_SECRET,
                    client_secret=secret,
                )
        _seed_baseline(owner, workspace)
    return logins


def demo_profile_id() -> int | None:
    """The id of the demo's baseline profile, or None before the demo is seeded."""
    workspace = Workspace.objects.filter(slug=DEMO_WORKSPACE_SLUG).first()
    if workspace is None:
        return None
    return (
        BaselineProfile.objects.filter(workspace=workspace, name=DEMO_PROFILE_NAME).values_list("pk", flat=True).first()
    )


def _seed_baseline(owner: object, workspace: Workspace) -> BaselineProfile:
    """The demo profile (every governed policy type) assigned to the healthy customer environments."""
    profile = BaselineProfile.objects.filter(workspace=workspace, name=DEMO_PROFILE_NAME).first()
    if profile is None:
        profile = baseline_services.profile_create(
            actor=owner,
            workspace=workspace,
            name=DEMO_PROFILE_NAME,
            description=DEMO_PROFILE_DESCRIPTION,
            policy_types=list(GOVERNED_POLICY_TYPES),
        )
    for environment in ManagedEnvironment.objects.filter(workspace=workspace, tenant_id__in=DEMO_COMPARED_TENANT_IDS):
        baseline_services.profile_assign(actor=owner, profile=profile, environment=environment)
    return profile


# --------------------------------------------------------------------------------------------
# The first start's chain: sync, capture, compare


@dataclass(frozen=True)
class DemoProgress:
    """What one :func:`demo_advance` call found and did; ``done`` once every assigned environment
    has a compare run of the demo profile (or there is no demo to advance)."""

    syncs_started: int = 0
    capture_started: bool = False
    compares_started: int = 0
    done: bool = False


def _advance_capture(
    workspace: Workspace, profile: BaselineProfile, syncs: QuerySet[OperationRun], syncs_started: int
) -> DemoProgress:
    """Step 2: capture once the golden tenant's sync succeeded. Gives up (``done``) when that sync
    or the capture failed, or the evidence is refused: the operator can then act in the console."""
    captures = OperationRun.objects.filter(
        workspace=workspace, type=OperationType.BASELINE_CAPTURE, context__profile_id=profile.pk
    )
    if captures.exists():  # running, or ended without a snapshot
        return DemoProgress(syncs_started, done=not captures.filter(status__in=ACTIVE_STATUSES).exists())
    golden = ManagedEnvironment.objects.filter(workspace=workspace, tenant_id=DEMO_GOLDEN_TENANT_ID).first()
    owner = workspace.memberships.filter(role=Role.OWNER).select_related("user").first()
    if golden is None or owner is None:
        return DemoProgress(syncs_started, done=True)
    golden_syncs = syncs.filter(environment=golden)
    if not golden_syncs.filter(status=RunStatus.COMPLETED, outcome=RunOutcome.SUCCEEDED).exists():
        finished_badly = golden_syncs.exists() and not golden_syncs.filter(status__in=ACTIVE_STATUSES).exists()
        return DemoProgress(syncs_started, done=finished_badly)
    try:
        baseline_services.baseline_capture_start(actor=owner.user, profile=profile, source_environment=golden)
    except ValidationFailed as exc:
        logger.warning("demo capture refused (%s); capture from the console", exc.field)
        return DemoProgress(syncs_started, done=True)
    except Conflict:
        return DemoProgress(syncs_started)  # busy: next call
    return DemoProgress(syncs_started, capture_started=True)


def demo_advance() -> DemoProgress:
    """Advance the demo's first-start chain by whatever step is ready; safe to call any time, often.

    1. An environment that never had an inventory sync gets one (a system run). A busy environment
       (its first health check) is tried again on the next call.
    2. Once the golden tenant's sync succeeded and the profile was never captured, capture it
       (requested as the demo owner, who gets the notification).
    3. Once the profile has a snapshot, each assigned environment whose sync has finished and that
       was never compared gets a compare (a system run); busy ones wait for the next call.
    Nothing is ever repeated: each step looks at the runs that exist, so restarts are harmless.
    """
    workspace = Workspace.objects.filter(slug=DEMO_WORKSPACE_SLUG).first()
    profile = BaselineProfile.objects.filter(workspace=workspace, name=DEMO_PROFILE_NAME).first() if workspace else None
    if workspace is None or profile is None or profile.is_archived:
        return DemoProgress(done=True)
    syncs = OperationRun.objects.filter(workspace=workspace, type=OperationType.INVENTORY_SYNC)
    synced_envs = set(syncs.values_list("environment_id", flat=True))
    syncs_started = 0
    for environment in ManagedEnvironment.objects.filter(workspace=workspace, archived_at__isnull=True).order_by("pk"):
        if environment.pk in synced_envs:
            continue
        connection = connection_for_operations(environment)
        if connection is None or not connection.is_enabled:
            continue
        try:
            started = operation_start(
                actor=None, operation_type=OperationType.INVENTORY_SYNC, environment=environment, connection=connection
            )
        except Conflict:
            continue  # busy (its health check): next call
        syncs_started += 0 if started.deduped else 1

    has_snapshot = BaselineSnapshot.objects.filter(profile=profile, status=SnapshotStatus.COMPLETE).exists()
    if not has_snapshot:
        return _advance_capture(workspace, profile, syncs, syncs_started)

    compares = OperationRun.objects.filter(
        workspace=workspace, type=OperationType.BASELINE_COMPARE, context__profile_id=profile.pk
    )
    compared_envs = set(compares.values_list("environment_id", flat=True))
    assigned = [
        a.environment
        for a in BaselineAssignment.objects.filter(profile=profile).select_related("environment").order_by("pk")
    ]
    compares_started = 0
    for environment in assigned:
        if environment.pk in compared_envs:
            continue
        env_syncs = syncs.filter(environment=environment)
        if (
            not env_syncs.filter(status=RunStatus.COMPLETED).exists()
            or env_syncs.filter(status__in=ACTIVE_STATUSES).exists()
        ):
            continue  # compare on the fresh inventory, once its sync has finished
        try:
            started = baseline_services.baseline_compare_start_system(profile=profile, environment=environment)
        except (Conflict, ValidationFailed):
            continue  # busy: next call
        compared_envs.add(environment.pk)
        compares_started += 0 if started.deduped else 1
    done = all(environment.pk in compared_envs for environment in assigned)
    return DemoProgress(syncs_started, False, compares_started, done=done)
