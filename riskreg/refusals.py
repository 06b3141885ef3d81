"""The 403 page's words. A refusal for a reason other than the member's role (the register is
archived, the risk is not theirs, the update is someone else's) is raised as ``Refusal``: the page
then says that reason alone, not "your role does not include it ... ask your coordinator", which
was untrue there. Every other ``PermissionDenied`` is about the role, and the page adds whom to
ask, by the refused person's role in the page's organisation (decision 125): a coordinator is
sent to an admin (not to "your risk coordinator": themselves), everyone else to their risk
coordinator or an admin. The organisation is named only when the person is a member of it (the
header's one read of their memberships); nobody is named, since who holds the admin role is not
on any page a coordinator reads."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseForbidden
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from registers.models import Role
from registers.permissions import memberships_for_request

ROLE_REFUSED = "Your role in {organisation} does not include it."
ASK_AN_ADMIN = "If you need to do it, ask an admin of {organisation}."
ASK_A_COORDINATOR = "If you need to do it, ask your risk coordinator or an admin of {organisation}."
# No organisation on the page, or not theirs: the same advice without a name.
ROLE_REFUSED_ANYWHERE = (
    "Your role does not include it. If you need to do it, ask your risk coordinator or an admin "
    "of your organisation."
)


class Refusal(PermissionDenied):
    """A 403 whose reason is its message, not the member's role."""


def role_refusal(request: HttpRequest) -> str:
    """Why a role refusal, and whom to ask, for the person refused on this request's page."""
    match = getattr(request, "resolver_match", None)
    slug = match.kwargs.get("org") if match else None
    user = getattr(request, "user", None)
    membership = None
    if slug and user is not None and user.is_authenticated:
        membership = next(
            (m for m in memberships_for_request(request) if m.organisation.slug == slug), None
        )
    if membership is None:
        return ROLE_REFUSED_ANYWHERE
    name = membership.organisation.display_name
    refused = ROLE_REFUSED.format(organisation=name)
    if membership.role == Role.ADMIN:
        return refused  # an admin may do everything the organisation allows: nobody to ask
    ask = ASK_AN_ADMIN if membership.role == Role.COORDINATOR else ASK_A_COORDINATOR
    return f"{refused} {ask.format(organisation=name)}"


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception, template_name: str = "403.html"):
    """``handler403``: Django's own, with whether the refusal is about the role and, if it is,
    whom this person asks."""
    template = loader.get_template(template_name)
    not_about_role = isinstance(exception, Refusal)
    context = {
        "exception": str(exception),
        "not_about_role": not_about_role,
        "role_refusal": "" if not_about_role else role_refusal(request),
    }
    return HttpResponseForbidden(template.render(context, request))
