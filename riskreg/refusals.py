"""The 403 page's words. A refusal for a reason other than the member's role (the register is
archived, the risk is not theirs, the update is someone else's) is raised as ``Refusal``: the page
then says that reason alone, not "your role does not include it ... ask your coordinator", which
was untrue there (a coordinator told to ask themselves). Every other ``PermissionDenied`` is about
the role, and the page adds whom to ask."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseForbidden
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token


class Refusal(PermissionDenied):
    """A 403 whose reason is its message, not the member's role."""


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception, template_name: str = "403.html"):
    """``handler403``: Django's own, with whether the refusal is about the role."""
    template = loader.get_template(template_name)
    context = {
        "exception": str(exception),
        "not_about_role": isinstance(exception, Refusal),
    }
    return HttpResponseForbidden(template.render(context, request))
