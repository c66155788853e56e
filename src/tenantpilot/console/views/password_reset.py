"""Password reset by e-mail: Django's views with the console's templates.

No user enumeration: the "check your e-mail" page answers alike whether or not a login uses the
address, and a failure to send is only logged (by Django, with the user id). Logins created
without a usable password (``tenantpilot create-workspace``) may use it too: there is no other
sign-in method whose password this could bypass.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache


class ConsolePasswordResetForm(PasswordResetForm):
    """Django's form; it also reaches active logins that never chose a password."""

    def get_users(self, email: str) -> Iterator[Any]:
        user_model = get_user_model()
        field = user_model.get_email_field_name()
        wanted = email.casefold()
        candidates = user_model._default_manager.filter(**{f"{field}__iexact": email, "is_active": True})
        return (u for u in candidates if str(getattr(u, field) or "").casefold() == wanted)


@method_decorator(never_cache, name="dispatch")
class ConsolePasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link by e-mail address."""

    form_class = ConsolePasswordResetForm
    template_name = "console/registration/password_reset_form.html"
    email_template_name = "console/registration/password_reset_email.txt"
    subject_template_name = "console/registration/password_reset_subject.txt"
    success_url = reverse_lazy("console:password-reset-done")


class ConsolePasswordResetDoneView(auth_views.PasswordResetDoneView):
    """The same answer for every address."""

    template_name = "console/registration/password_reset_done.html"


class ConsolePasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Choose the new password (the link works once: the token depends on the password)."""

    template_name = "console/registration/password_reset_confirm.html"
    success_url = reverse_lazy("console:password-reset-complete")


class ConsolePasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    """Done; sign in."""

    template_name = "console/registration/password_reset_complete.html"
