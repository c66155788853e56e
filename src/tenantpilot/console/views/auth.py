"""Signing in to the console, behind the sign-in throttle (``tenantpilot.audit.signin``)."""

from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError

from tenantpilot.audit.signin import lock_for_request


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's login form; when the throttle refused or just locked, it says so plainly.

    The message is the same for existing and unknown sign-in names, so it reveals nothing.
    """

    def get_invalid_login_error(self) -> ValidationError:
        lock = lock_for_request(self.request)
        if lock is not None:
            return ValidationError(lock.message, code="throttled")
        return super().get_invalid_login_error()


class ConsoleLoginView(LoginView):
    """The console's login page. (The platform admin's login at ``/system/`` is throttled by the same
    backend; it shows Django's generic message.)"""

    template_name = "console/registration/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True
