"""The project's URLs plus views that fail on purpose, so tests can see every error page as
people see it (DEBUG off). Used through ROOT_URLCONF by the error-page tests only."""

from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404
from django.urls import path

from riskreg.urls import handler403  # noqa: F401  the project's 403 page (whom to ask), as served
from riskreg.urls import urlpatterns as project_urlpatterns

BROKEN = "a view that fails on purpose: SELECT secret FROM nowhere"


def fail(request, status: int):
    if status == 400:
        raise BadRequest(BROKEN)
    if status == 403:
        raise PermissionDenied
    if status == 404:
        raise Http404(BROKEN)
    raise RuntimeError(BROKEN)


urlpatterns = [
    path("test-errors/<int:status>/", fail, name="test_error"),
    *project_urlpatterns,
]
