"""Role → capability maps and the "who may grant what" ordering (seed 061).

Owner and Manager: view, manage and run. Operator: view and run. Readonly: view only.
A member may grant, change or remove only roles at or below their own.
"""

from __future__ import annotations

from django.db import models

from .capabilities import MANAGE_CAPABILITIES, RUN_CAPABILITIES, VIEW_CAPABILITIES, Capability


class Role(models.TextChoices):
    """A workspace member's role."""

    OWNER = "owner", "Owner"
    MANAGER = "manager", "Manager"
    OPERATOR = "operator", "Operator"
    READONLY = "readonly", "Read-only"


ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.OWNER: VIEW_CAPABILITIES | RUN_CAPABILITIES | MANAGE_CAPABILITIES,
    Role.MANAGER: VIEW_CAPABILITIES | RUN_CAPABILITIES | MANAGE_CAPABILITIES,
    Role.OPERATOR: VIEW_CAPABILITIES | RUN_CAPABILITIES,
    Role.READONLY: VIEW_CAPABILITIES,
}

# Higher number = more authority. Equal priority may grant each other's role.
ROLE_PRIORITY: dict[Role, int] = {Role.OWNER: 40, Role.MANAGER: 30, Role.OPERATOR: 20, Role.READONLY: 10}


def capabilities_for(role: str) -> frozenset[Capability]:
    """The capability set of ``role``; an unknown role has none."""
    try:
        return ROLE_CAPABILITIES[Role(role)]
    except ValueError:
        return frozenset()


def can_grant(granter_role: str, role: str) -> bool:
    """True when a member with ``granter_role`` may give (or take away) ``role``."""
    try:
        return ROLE_PRIORITY[Role(granter_role)] >= ROLE_PRIORITY[Role(role)]
    except ValueError:
        return False


def grantable_roles(granter_role: str) -> list[Role]:
    """The roles ``granter_role`` may hand out, highest first."""
    return [r for r in sorted(Role, key=lambda r: -ROLE_PRIORITY[r]) if can_grant(granter_role, r)]
