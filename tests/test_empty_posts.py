"""A POST with nothing in it is bad input like any other: the page again with the error summary
and a 400, never the unchanged page with 200 (``request.POST or None`` left forms unbound)."""

import pytest
from django.urls import reverse

from registers.models import Risk, Role

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "settings_register_new",
    "settings_categories",
    "settings_objectives",
    "member_add",
    "appetite_statement_add",
    "appetite_levels",
    "sso_provider_add",
    "sso_saml_provider_add",
]


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_an_empty_post_is_answered_400_with_the_error_summary(
    client, organisation, corporate_register, member, name
):
    client.force_login(member(Role.ADMIN))
    url = reverse(name, args=[organisation.slug])
    assert client.get(url).status_code == 200
    response = client.post(url, {})
    assert response.status_code == 400, response.content.decode()[:2000]
    assert "There is a problem" in response.content.decode()


def test_an_empty_post_to_a_registers_change_page_is_answered_400(
    client, organisation, corporate_register, member
):
    client.force_login(member(Role.ADMIN))
    url = reverse("settings_register", args=[organisation.slug, corporate_register.slug])
    response = client.post(url, {})
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    corporate_register.refresh_from_db()
    assert corporate_register.name  # nothing stored was lost


# --- every form page: invalid input is a 400 with the error summary (riskreg/bad_input.py) -------


def _named_patterns(resolver=None, namespace="", outer=frozenset(), groups=0):
    """(name with its namespace, the URL's keyword names) of every named pattern of the project
    (a re_path() with unnamed groups left out: it is not addressed by keywords)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    resolver = resolver or get_resolver()
    found = []
    for pattern in resolver.url_patterns:
        keys = outer | frozenset(pattern.pattern.converters)
        count = groups + pattern.pattern.regex.groups
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found += _named_patterns(pattern, inner, keys, count)
        elif isinstance(pattern, URLPattern) and pattern.name and count == len(keys):
            found.append((namespace + pattern.name, keys))
    return found


# The keywords a page of the person, an organisation, a register, a risk or one of its controls
# or actions is addressed by; pages that need another object's id (a pack, a token, a member)
# are covered by their own tests.
WALKED_KEYS = frozenset({"org", "register", "ref", "pk"})
PATTERNS = dict(_named_patterns())
WALKED = sorted(
    name
    for name, keys in PATTERNS.items()
    if keys <= WALKED_KEYS and ("pk" not in keys or "ref" in keys) and ":" not in name
)


@pytest.fixture
def walk_risk(organisation, corporate_register):
    from tests.factories import RiskFactory

    return RiskFactory(register=corporate_register, ref="W1", title="Walked risk")


def _addresses(name, organisation, register, risk):
    """The page's address with each object that fits (a pk: the risk's control, or action)."""
    from tests.factories import ActionFactory, ControlFactory

    keys = PATTERNS[name]
    values = {"org": organisation.slug, "register": register.slug, "ref": risk.ref}
    base = {key: values[key] for key in keys if key != "pk"}
    if "pk" not in keys:
        return [reverse(name, kwargs=base)]
    control, action = ControlFactory(risk=risk), ActionFactory(risk=risk)
    return [reverse(name, kwargs={**base, "pk": each.pk}) for each in (control, action)]


@pytest.mark.parametrize("name", WALKED)
def test_no_form_page_answers_an_empty_post_with_200_and_errors(
    client, organisation, corporate_register, walk_risk, member, name
):
    """Every page of the person, an organisation, a register, a risk, its controls and actions
    that shows a form posting to itself: an empty POST is either done (a redirect), refused
    (4xx), or, when it shows the error summary, a 4xx. Never the error summary with 200."""
    client.force_login(member(Role.ADMIN))
    for url in _addresses(name, organisation, corporate_register, walk_risk):
        page = client.get(url)
        if page.status_code != 200 or "text/html" not in page.get("Content-Type", ""):
            continue
        if 'method="post"' not in page.content.decode():
            continue
        response = client.post(url, {})
        shown = "govuk-error-summary" in response.content.decode(errors="replace")
        assert not (response.status_code == 200 and shown), (
            f"{name}: an empty POST answered 200 with the error summary"
        )
        if shown:
            assert response.status_code in (400, 409, 422), (name, response.status_code)


def test_an_invalid_risk_form_is_answered_400(client, organisation, corporate_register, member):
    client.force_login(member(Role.ADMIN))
    url = reverse("risk_create", args=[organisation.slug, corporate_register.slug])
    response = client.post(url, {"ref": "X1", "title": "", "current_likelihood": "99"})
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert not Risk.objects.filter(organisation=organisation, ref="X1").exists()


def test_an_invalid_risk_edit_is_answered_400(client, organisation, walk_risk, member):
    client.force_login(member(Role.ADMIN))
    url = reverse("risk_edit", args=[organisation.slug, walk_risk.ref])
    response = client.post(url, {"title": "", "version": walk_risk.version})
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    walk_risk.refresh_from_db()
    assert walk_risk.title == "Walked risk"  # nothing stored was lost


def test_a_failed_sign_in_is_answered_400_with_the_same_page(client, member, password):
    user = member(Role.OWNER)
    response = client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "There is a problem" in text
    assert 'name="password"' in text  # the sign-in page again, to try once more
    assert "_auth_user_id" not in client.session


def test_an_htmx_form_keeps_200_so_its_errors_are_swapped_in(
    client, organisation, corporate_register, member
):
    """htmx swaps only 2xx answers: an in-place form's errors come back with 200."""
    client.force_login(member(Role.ADMIN))
    url = reverse("risk_create", args=[organisation.slug, corporate_register.slug])
    response = client.post(url, {"ref": "X1", "title": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200


# --- the review page (decisions 66 and 115) ---------------------------------------------------


def _review(client, risk, **fields):
    risk.refresh_from_db()
    data = {"outcome": "unchanged", "note": "Looked again", "version": risk.version} | fields
    return client.post(reverse("risk_review", args=[risk.organisation.slug, risk.ref]), data)


def _refused(response, message: str) -> None:
    """400, with ``message`` in the error summary, the note typed kept; nothing recorded."""
    from registers.models import Review

    html = response.content.decode()
    assert response.status_code == 400, html[:2000]
    summary = html[html.index('class="govuk-error-summary"') :].split("</ul>")[0]
    assert message in summary
    assert "Looked again" in html
    assert not Review.objects.filter(note="Looked again").exists()


def test_a_review_dated_before_the_last_is_answered_400_with_the_rule(
    client, organisation, walk_risk, member
):
    import datetime as dt

    from django.utils import timezone

    from registers.services.reviews import review_record

    admin = member(Role.ADMIN)
    review_record(risk=walk_risk, user=admin, expected_version=walk_risk.version)
    client.force_login(admin)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = _review(client, walk_risk, reviewed_on=yesterday.strftime("%d/%m/%Y"))
    _refused(response, "The earliest date allowed is")


def test_a_rescore_to_the_current_rating_is_answered_400_with_the_rule(
    client, organisation, walk_risk, member
):
    client.force_login(member(Role.ADMIN))
    response = _review(
        client,
        walk_risk,
        outcome="rescore",
        current_likelihood=walk_risk.current_likelihood,
        current_impact=walk_risk.current_impact,
    )
    _refused(response, "The rating chosen is the current one")


def test_a_review_of_a_risk_closed_meanwhile_is_answered_400_keeping_the_note(
    client, organisation, walk_risk, member
):
    """Closed by someone else while the review was typed: the form again with the reason in the
    error summary and the note kept (it answered a redirect to the risk page, the note lost)."""
    from registers.services.risks import risk_close

    admin = member(Role.ADMIN)
    risk_close(risk=walk_risk, expected_version=walk_risk.version, reason="Merged")
    client.force_login(admin)
    _refused(_review(client, walk_risk), "W1 is closed: reopen it before recording a review")
