"""factory-boy factories for test setup (tests may build rows directly; product code may not)."""

from __future__ import annotations

import uuid

import factory
from django.contrib.auth import get_user_model

from tenantpilot.authz.roles import Role
from tenantpilot.tenancy.models import EnvironmentAccess, ManagedEnvironment, Workspace, WorkspaceMembership

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.test")
    email = factory.LazyAttribute(lambda o: o.username)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Workspace {n}")
    slug = factory.Sequence(lambda n: f"ws-{n}")


class EnvironmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ManagedEnvironment

    workspace = factory.SubFactory(WorkspaceFactory)
    display_name = factory.Sequence(lambda n: f"Customer {n}")
    tenant_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    default_domain = factory.Sequence(lambda n: f"customer{n}.onmicrosoft.com")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkspaceMembership

    workspace = factory.SubFactory(WorkspaceFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.OWNER


def grant_environment(membership: WorkspaceMembership, *environments: ManagedEnvironment) -> None:
    """Restrict ``membership`` to ``environments``."""
    membership.restricted_environments = True
    membership.save()
    for env in environments:
        EnvironmentAccess.objects.create(workspace=membership.workspace, membership=membership, environment=env)
