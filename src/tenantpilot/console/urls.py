"""Console routes. Every workspace route starts with ``w/<workspace>/``: authority from the URL."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path

from .urls_baselines import baseline_patterns
from .urls_resolution import resolution_patterns
from .views import (
    alerts,
    audit,
    auth,
    bindings,
    connections,
    environments,
    inventory,
    inventory_types,
    invitations,
    members,
    operations,
    password_reset,
    platform,
    search,
    tokens,
    workspaces,
)

app_name = "console"

workspace_patterns = [
    path("", workspaces.workspace_home, name="workspace-home"),
    path("search/", search.workspace_search, name="search"),
    path("environments/new/", environments.environment_create, name="environment-create"),
    path("environments/<int:environment_id>/", environments.environment_detail, name="environment-detail"),
    path("environments/<int:environment_id>/edit/", environments.environment_edit, name="environment-edit"),
    path("environments/<int:environment_id>/archive/", environments.environment_archive, name="environment-archive"),
    path("environments/<int:environment_id>/connections/", connections.connection_list_view, name="connections"),
    path("environments/<int:environment_id>/connections/new/", connections.connection_create, name="connection-create"),
    path(
        "environments/<int:environment_id>/connections/<int:connection_id>/",
        connections.connection_detail,
        name="connection-detail",
    ),
    path(
        "environments/<int:environment_id>/connections/<int:connection_id>/edit/",
        connections.connection_edit,
        name="connection-edit",
    ),
    path(
        "environments/<int:environment_id>/connections/<int:connection_id>/credential/",
        connections.connection_credential,
        name="connection-credential",
    ),
    path(
        "environments/<int:environment_id>/connections/<int:connection_id>/default/",
        connections.connection_make_default,
        name="connection-default",
    ),
    path(
        "environments/<int:environment_id>/connections/<int:connection_id>/status/",
        connections.connection_status,
        name="connection-status",
    ),
    path(
        "environments/<int:environment_id>/connections/<int:connection_id>/delete/",
        connections.connection_delete,
        name="connection-delete",
    ),
    path(
        "environments/<int:environment_id>/connections/<int:connection_id>/check/",
        connections.connection_check,
        name="connection-check",
    ),
    path("environments/<int:environment_id>/inventory/", inventory.inventory_list_view, name="inventory"),
    path("environments/<int:environment_id>/inventory/sync/", inventory.inventory_sync, name="inventory-sync"),
    path(
        "environments/<int:environment_id>/inventory/types/",
        inventory_types.inventory_types_view,
        name="inventory-types",
    ),
    path(
        "environments/<int:environment_id>/inventory/types/edit/",
        inventory_types.inventory_types_edit,
        name="inventory-types-edit",
    ),
    path(
        "environments/<int:environment_id>/inventory/<int:item_id>/",
        inventory.inventory_item_detail,
        name="inventory-item",
    ),
    path("environments/<int:environment_id>/compliance/", inventory.compliance_view, name="compliance"),
    path(
        "environments/<int:environment_id>/compliance/snapshot/",
        inventory.compliance_snapshot,
        name="compliance-snapshot",
    ),
    path("environments/<int:environment_id>/schedules/", inventory.schedule_list_view, name="schedules"),
    path("environments/<int:environment_id>/schedules/edit/", inventory.schedule_edit, name="schedule-edit"),
    path("members/", members.member_list, name="members"),
    path("members/add/", members.member_add, name="member-add"),
    path("members/<int:membership_id>/role/", members.member_change_role, name="member-role"),
    path("members/<int:membership_id>/access/", members.member_access, name="member-access"),
    path("members/<int:membership_id>/remove/", members.member_remove, name="member-remove"),
    path("members/invite/", invitations.invitation_create, name="invitation-create"),
    path(
        "members/invitations/<int:invitation_id>/revoke/",
        invitations.invitation_revoke,
        name="invitation-revoke",
    ),
    path("audit/", audit.audit_log, name="audit"),
    path("api-tokens/", tokens.token_list, name="api-tokens"),
    path("api-tokens/<int:token_id>/revoke/", tokens.token_revoke, name="api-token-revoke"),
    path("operations/", operations.operation_list, name="operations"),
    path("operations/<int:run_id>/", operations.operation_detail, name="operation-detail"),
    path("operations/<int:run_id>/status/", operations.operation_status, name="operation-status"),
    path("operations/<int:run_id>/cancel/", operations.operation_cancel, name="operation-cancel"),
    path("notifications/", operations.notification_list, name="notifications"),
    path("notifications/read-all/", operations.notification_read_all, name="notification-read-all"),
    path("notifications/<int:notification_id>/read/", operations.notification_read, name="notification-read"),
    path("alerts/", alerts.alert_settings, name="alert-settings"),
    path("alerts/webhook/", alerts.alert_webhook, name="alert-webhook"),
    path("alerts/webhook/rotate-secret/", alerts.alert_webhook_rotate, name="alert-webhook-rotate"),
    path("alerts/webhook/remove/", alerts.alert_webhook_remove, name="alert-webhook-remove"),
    path("alerts/webhook/test/", alerts.alert_webhook_test, name="alert-webhook-test"),
    path("alerts/deliveries/", alerts.alert_deliveries, name="alert-deliveries"),
    # Baselines and drift: read pages (console/views/baselines.py) and the resolution loop
    # (console/views/baseline_resolution.py) add their paths to the two lists below.
    *baseline_patterns,
    *resolution_patterns,
    path("environments/<int:environment_id>/bindings/", bindings.binding_list_view, name="bindings"),
    path("environments/<int:environment_id>/bindings/new/", bindings.binding_create, name="binding-create"),
    path(
        "environments/<int:environment_id>/bindings/<int:binding_id>/",
        bindings.binding_detail,
        name="binding-detail",
    ),
    path(
        "environments/<int:environment_id>/bindings/<int:binding_id>/supersede/",
        bindings.binding_supersede,
        name="binding-supersede",
    ),
    path(
        "environments/<int:environment_id>/bindings/<int:binding_id>/revoke/",
        bindings.binding_revoke,
        name="binding-revoke",
    ),
]

urlpatterns = [
    path("", workspaces.root, name="root"),
    path(
        "login/",
        auth.ConsoleLoginView.as_view(),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/reset/", password_reset.ConsolePasswordResetView.as_view(), name="password-reset"),
    path("password/reset/sent/", password_reset.ConsolePasswordResetDoneView.as_view(), name="password-reset-done"),
    path(
        "password/reset/<uidb64>/<token>/",
        password_reset.ConsolePasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "password/reset/complete/",
        password_reset.ConsolePasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
    # The invitee is not a member yet: outside the workspace routes; the token decides (404 otherwise).
    path("invitations/<slug:workspace>/<str:token>/", invitations.invitation_accept, name="invitation-accept"),
    path("platform/workspaces/new/", platform.workspace_create, name="platform-workspace-create"),
    path("w/", workspaces.workspace_picker, name="workspace-picker"),
    path("w/<slug:workspace>/", include(workspace_patterns)),
]
