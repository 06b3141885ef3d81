"""Template context every page needs: the signed-in user's organisations, for the switcher and
the header's "Your reports" (linked for anyone with one: every member has released packs listed
there, decision 125), and how many of their notifications are unread (the header's
"Notifications 3", cached: decision 68)."""

from django.utils.functional import SimpleLazyObject

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
        # Lazy too, only where the header shows it: kept in the cache per person between writes
        # to their notices, and per the organisations they belong to (the memberships above,
        # read by the header anyway), else one count on the (user, read_at) index.
        "unread_notices": SimpleLazyObject(
            lambda: unread_notice_count(user=request.user, memberships=memberships)
        ),
    }
