"""Console routes. Every workspace route starts with ``w/<workspace>/``: authority from the URL."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path

from .views import audit, environments, members, workspaces

app_name = "console"

workspace_patterns = [
    path("", workspaces.workspace_home, name="workspace-home"),
    path("environments/new/", environments.environment_create, name="environment-create"),
    path("environments/<int:environment_id>/", environments.environment_detail, name="environment-detail"),
    path("environments/<int:environment_id>/edit/", environments.environment_edit, name="environment-edit"),
    path("environments/<int:environment_id>/archive/", environments.environment_archive, name="environment-archive"),
    path("members/", members.member_list, name="members"),
    path("members/add/", members.member_add, name="member-add"),
    path("members/<int:membership_id>/role/", members.member_change_role, name="member-role"),
    path("members/<int:membership_id>/access/", members.member_access, name="member-access"),
    path("members/<int:membership_id>/remove/", members.member_remove, name="member-remove"),
    path("audit/", audit.audit_log, name="audit"),
]

urlpatterns = [
    path("", workspaces.root, name="root"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="console/registration/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("w/", workspaces.workspace_picker, name="workspace-picker"),
    path("w/<slug:workspace>/", include(workspace_patterns)),
]
