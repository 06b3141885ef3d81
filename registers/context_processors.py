"""Template context every page needs: the signed-in user's organisations, for the switcher, and
whether they sit on a panel (the header links "Your reports" for them)."""

from django.utils.functional import SimpleLazyObject

from .models import Role
from .permissions import memberships_for_request


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    # Lazy, and one shared read: a page that shows neither runs no query, and reading both (or
    # a view that lists the memberships itself) runs one.
    memberships = memberships_for_request(request)
    return {
        "nav_memberships": memberships,
        "sits_on_a_panel": SimpleLazyObject(
            lambda: any(membership.role == Role.PANEL for membership in memberships)
        ),
    }
