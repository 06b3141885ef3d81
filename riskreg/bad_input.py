"""Bad input answers 4xx, in one place (DESIGN.md: "bad input anywhere gets a clear message and a
4xx"). Every form page shows its errors through the one GOV.UK error summary
(``templates/govuk/error_summary.html``); when it lists something, it marks the request
(``{% bad_input %}``, riskreg/templatetags/bad_input.py), and ``BadInputMiddleware`` turns that
POST's 200 into a 400. So a view that renders an invalid form again (ours, and django-allauth's
sign-in and password pages, which answer 200) need not remember the status; one that chose its
own (400, 409, 422) keeps it.

htmx requests are left as they are: htmx swaps only 2xx answers (the risk page's in-place forms
put their errors into the page that way), unless a page opts in (the comments do, for 400/409).
"""

from __future__ import annotations

BAD_INPUT = "_riskreg_bad_input"


def mark_bad_input(request) -> None:
    if request is not None:
        setattr(request, BAD_INPUT, True)


def is_bad_input(request) -> bool:
    return getattr(request, BAD_INPUT, False)


class BadInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.method == "POST"
            and response.status_code == 200
            and is_bad_input(request)
            and "HX-Request" not in request.headers
        ):
            response.status_code = 400
            response.reason_phrase = "Bad Request"
        return response
