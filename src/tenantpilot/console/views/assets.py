"""Well-known asset paths that browsers request on their own (``/favicon.ico``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.views.decorators.http import require_safe


@require_safe
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Answer ``/favicon.ico`` with a redirect to the console's SVG icon, so no page logs a 404.

    Public (browsers ask before anyone logs in), reads nothing, and resolves the static URL per
    request so the hashed name of the production manifest storage is used.
    """
    return HttpResponseRedirect(static("console/favicon.svg"))
