"""Template context every page needs: the signed-in user's organisations, for the switcher."""

from .permissions import memberships_for_user


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    # Lazy: a page that does not show the switcher runs no query.
    return {"nav_memberships": memberships_for_user(request.user)}
