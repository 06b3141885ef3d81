"""Template context every page needs: the signed-in user's organisations, for the switcher and
the header's "Your reports" (every member has released packs listed there, decision 125), and
how many of their notifications are unread (the header's "Notifications 3", cached: decision
68)."""

from django.utils.functional import SimpleLazyObject

from .models import Role
from .permissions import memberships_for_request
from .selectors.notices import unread_notice_count


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    # Lazy, and one shared read: a page that shows neither runs no query, and reading both (or
    # a view that lists the memberships itself) runs one.
    memberships = memberships_for_request(request)
    return {
        "nav_memberships": memberships,
        "your_reports_in_header": SimpleLazyObject(
            lambda: _your_reports_in_header(request, memberships)
        ),
        # Lazy too, only where the header shows it: kept in the cache per person between writes
        # to their notices, and per the organisations they belong to (the memberships above,
        # read by the header anyway), else one count on the (user, read_at) index.
        "unread_notices": SimpleLazyObject(
            lambda: unread_notice_count(user=request.user, memberships=memberships)
        ),
    }


def _your_reports_in_header(request, memberships) -> bool:
    """Whether the header links "Your reports": for a panel member it is home, for a member of
    several organisations the one list of all their packs, and off an organisation's pages the
    only way to them. On an organisation's page a member of it alone has its "Reports" in the
    menu beside, the same packs: two links to one list would push the header onto two lines.
    Read from the memberships the header reads anyway: no query of its own."""
    if not memberships:
        return False
    match = getattr(request, "resolver_match", None)
    on_an_organisation = bool(match and "org" in match.kwargs)
    return (
        not on_an_organisation
        or len(memberships) > 1
        or any(membership.role == Role.PANEL for membership in memberships)
    )
