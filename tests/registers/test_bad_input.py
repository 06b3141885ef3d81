"""Bad input gets a clear message and a 4xx, never a 500 (issue 11, "faults and inputs").

1. References: a new ref holds letters, digits, '-', '_' and '.', spaces become '-', anything
   else is refused naming the allowed characters, wherever the risk is created (service, form,
   import). Refs that older data may hold (a '/', '?', '#', a space, unicode) still travel in
   every URL, so no page answers 500 because of one risk.
2. Numbers and dates in a URL: a page number or a date the database or the calendar cannot hold
   is refused or ignored with a message, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import resolve, reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import capfirst

from registers.models import Risk, Role
from registers.refs import REF_CHARACTERS, REF_HINT, REF_NEEDS_ALPHANUMERIC, ref_clean
from registers.selectors import AS_OF_TOO_EARLY
from registers.services.links import link_add
from registers.services.risks import risk_create
from reporting.models import Pack
from reporting.spreadsheets.importing import import_plan
from tests.factories import ActionFactory, MembershipFactory, RiskFactory, corporate_register_of

pytestmark = pytest.mark.django_db

# What older data may hold, written before refs were checked (or through the admin).
ODD_REFS = [
    "A/B",
    "2024/25-01",
    "Q?1",
    "H#2",
    "S P",
    " lead",
    "Ünïcode-√",
    "..",
    ".",
    "%2F",
    "~7E",
    "a&b=c",
    "back\\slash",
    "",
]


# --- the rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("CRR18", "CRR18"),
        ("srr-11_b.2", "srr-11_b.2"),
        ("  A B  ", "A-B"),
        ("A  B\tC", "A-B-C"),
        ("v1.0", "v1.0"),
    ],
)
def test_ref_clean_keeps_safe_refs_and_turns_spaces_into_dashes(typed, saved):
    assert ref_clean(typed) == saved


@pytest.mark.parametrize("typed", ["A/B", "Q?1", "H#2", "Ünï", "a&b", "50%", "~1", "back\\s"])
def test_ref_clean_refuses_what_a_url_cannot_carry(typed):
    with pytest.raises(ValidationError) as caught:
        ref_clean(typed)
    assert caught.value.messages == [REF_CHARACTERS]


@pytest.mark.parametrize("typed", [".", "..", "-", "._."])
def test_ref_clean_refuses_refs_with_no_letter_or_digit(typed):
    with pytest.raises(ValidationError) as caught:
        ref_clean(typed)
    assert caught.value.messages == [REF_NEEDS_ALPHANUMERIC]


def test_risk_create_refuses_a_slash_and_saves_spaces_as_dashes(organisation):
    register = corporate_register_of(organisation)
    with pytest.raises(ValidationError) as caught:
        risk_create(register=register, ref="A/B", title="Slashed")
    assert caught.value.message_dict == {"ref": [REF_CHARACTERS]}
    assert not Risk.objects.filter(organisation=organisation).exists()
    risk = risk_create(register=register, ref="A B", title="Spaced")
    assert risk.ref == "A-B"
    with pytest.raises(ValidationError, match="already has a risk"):
        risk_create(register=register, ref="a-b", title="The same, typed again")


def test_the_new_risk_form_refuses_a_slash_and_says_what_is_allowed(client, organisation):
    user = MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user
    client.force_login(user)
    url = reverse("risk_create", args=[organisation.slug, "corporate"])
    page = client.get(url).content.decode()
    assert escape(REF_HINT) in page
    response = client.post(url, {"ref": "A/B", "title": "Slashed", "kind": "threat"})
    assert response.status_code == 400  # the form again (400), as for any mistake on it
    assert response.context["form"].errors["ref"] == [
        REF_CHARACTERS[:1].upper() + REF_CHARACTERS[1:]
    ]
    assert escape(REF_CHARACTERS[:1].upper() + REF_CHARACTERS[1:]) in response.content.decode()
    assert not Risk.objects.filter(organisation=organisation).exists()
    response = client.post(
        url, {"ref": "A B", "title": "Spaced", "kind": "threat", "marking": "OFFICIAL"}
    )
    risk = Risk.objects.get(organisation=organisation)
    assert risk.ref == "A-B"
    assert response.status_code == 302 and response.url == reverse(
        "risk", args=[organisation.slug, "A-B"]
    )
    page = client.get(response.url).content.decode()
    assert escape("Risk A-B created (reference 'A B' saved as 'A-B').") in page


def test_an_import_refuses_a_slash_and_says_a_space_became_a_dash(organisation):
    register = corporate_register_of(organisation)
    data = b"ref,title\nA/B,Slashed\nC D,Spaced\n"
    plan = import_plan(register=register, data=data, filename="register.csv")
    assert [str(problem) for problem in plan.problems] == [f"row 2: ref: {REF_CHARACTERS}"]
    plan = import_plan(register=register, data=b"ref,title\nC D,Spaced\n", filename="r.csv")
    assert not plan.problems
    assert [row.ref for row in plan.created] == ["C-D"]
    assert "row 2: ref: 'C D' saved as 'C-D'" in plan.notes


def test_an_import_updates_a_risk_saved_with_a_dash_when_its_ref_has_a_space(organisation):
    register = corporate_register_of(organisation)
    risk = RiskFactory(register=register, ref="C-D", title="Old title")
    plan = import_plan(register=register, data=b"ref,title\nC D,New title\n", filename="r.csv")
    assert not plan.problems and [row.risk for row in plan.updated] == [risk]


def test_an_import_updates_an_odd_ref_that_older_data_holds(organisation):
    register = corporate_register_of(organisation)
    risk = RiskFactory(register=register, ref="OLD1", title="Old title")
    odd(risk, "OLD 1")
    plan = import_plan(register=register, data=b"ref,title\nOLD 1,New title\n", filename="r.csv")
    assert not plan.problems and [row.risk.pk for row in plan.updated] == [risk.pk]


# --- pages with refs that older data holds ----------------------------------------------------


def odd(risk: Risk, ref: str) -> Risk:
    """Give a risk a ref the rule now refuses, as older data (or the admin) may hold one: the
    row and its history, as if it had always been so."""
    Risk.objects.filter(pk=risk.pk).update(ref=ref)
    Risk.history.filter(id=risk.pk).update(ref=ref)
    risk.refresh_from_db()
    return risk


@pytest.mark.parametrize("ref", ODD_REFS)
def test_risk_urls_carry_any_stored_ref_there_and_back(organisation, ref):
    url = reverse("risk", args=[organisation.slug, ref])
    assert url.startswith(f"/o/{organisation.slug}/risks/") and url.endswith("/")
    # Browsers collapse "." and ".." segments (as %2E too) before they ask for the page.
    segment = url.split("/")[4]
    assert _decoded(segment).strip(".") and "/" not in _decoded(segment)
    match = resolve(_decoded(url))
    assert match.url_name == "risk" and match.kwargs["ref"] == ref
    edit = resolve(_decoded(reverse("risk_edit", args=[organisation.slug, ref])))
    assert edit.url_name == "risk_edit" and edit.kwargs["ref"] == ref


def _decoded(url: str) -> str:
    """The path as the server hands it to Django (percent-decoded, as WSGI's PATH_INFO)."""
    from urllib.parse import unquote

    return unquote(url)


@pytest.fixture
def odd_world(organisation):
    """One risk per odd ref, each on the dashboard's lists (review overdue, an overdue action, a
    link), and a coordinator who sees everything."""
    register = corporate_register_of(organisation)
    coordinator = MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user
    risks = []
    for n in range(len(ODD_REFS)):
        risk = RiskFactory(register=register, ref=f"ODD{n}", owner=coordinator)
        Risk.objects.filter(pk=risk.pk).update(
            next_review_due=timezone.localdate() - dt.timedelta(days=3)
        )
        ActionFactory(
            risk=risk, owner=coordinator, due_date=timezone.localdate() - dt.timedelta(days=2)
        )
        risks.append(risk)
    for left, right in zip(risks, risks[1:], strict=False):
        link_add(risk=left, other=right, note="related")
    return {
        "risks": [odd(risk, ref) for risk, ref in zip(risks, ODD_REFS, strict=True)],
        "coordinator": coordinator,
    }


def test_every_page_answers_with_refs_that_older_data_holds(client, organisation, odd_world):
    client.force_login(odd_world["coordinator"])
    slug = organisation.slug
    pages = [
        reverse("organisation", args=[slug]),
        reverse("register", args=[slug, "corporate"]),
        reverse("register", args=[slug, "corporate"]) + "?sort=ref&status=all",
        reverse("movement", args=[slug]),
        reverse("review_health", args=[slug]),
        reverse("my_work", args=[slug]),
        reverse("register_export", args=[slug, "corporate"]) + "?format=csv",
        reverse("register_export", args=[slug, "corporate"]) + "?format=xlsx",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
    register_page = client.get(reverse("register", args=[slug, "corporate"])).content.decode()
    for risk in odd_world["risks"]:
        for name in ("risk", "risk_history", "risk_edit", "risk_review"):
            url = reverse(name, args=[slug, risk.ref])
            response = client.get(url)
            assert response.status_code == 200, (name, risk.ref)
            assert response.context["risk"].pk == risk.pk
        assert f'href="{escape(reverse("risk", args=[slug, risk.ref]))}"' in register_page


# --- numbers and dates in a URL ---------------------------------------------------------------

HUGE = "1" + "0" * 24  # 25 digits: past PostgreSQL's bigint


@pytest.fixture
def viewer(client, organisation):
    user = MembershipFactory(organisation=organisation, role=Role.VIEWER).user
    client.force_login(user)
    return user


def test_a_page_number_past_any_database_integer_shows_the_last_page(client, organisation, viewer):
    for n in range(3):
        RiskFactory(register=corporate_register_of(organisation), ref=f"P{n}")
    url = reverse("register", args=[organisation.slug, "corporate"])
    for number in (HUGE, "-" + HUGE, "9" * 5000, "1e9", "0x10"):
        response = client.get(url, {"page": number})
        assert response.status_code == 200, number[:30]
        assert len(response.context["rows"]) == 3


def test_filters_and_ratings_past_any_number_are_ignored_or_explained(client, organisation, viewer):
    RiskFactory(register=corporate_register_of(organisation), ref="F1")
    url = reverse("register", args=[organisation.slug, "corporate"])
    params = {"likelihood": HUGE, "impact": "9" * 5000, "category": HUGE, "owner": HUGE}
    response = client.get(url, params)
    assert response.status_code == 200 and len(response.context["rows"]) == 1
    preview = reverse("risk_rating_preview", args=[organisation.slug, "corporate"])
    for typed in ("9" * 5000, HUGE, "²"):
        response = client.get(
            preview, {"position": "current", "current_likelihood": typed, "current_impact": "1"}
        )
        assert response.status_code == 200
        assert "is not on the scheme" in response.context["problem"]


@pytest.mark.parametrize("day", ["0001-01-01", "01/01/0001", "1000-06-30"])
def test_register_as_of_a_day_before_any_history_is_reported_and_ignored(
    client, organisation, viewer, day
):
    RiskFactory(register=corporate_register_of(organisation), ref="NOW1")
    url = reverse("register", args=[organisation.slug, "corporate"])
    response = client.get(url, {"as_of": day})
    assert response.status_code == 200
    assert response.context["as_of"] is None
    assert response.context["form"].errors["as_of"] == [AS_OF_TOO_EARLY]


@pytest.mark.parametrize(
    "text", ["0001-01-01", "01/01/0001", "0001-01-01T00:00:00+05:00", "1000-06-30"]
)
def test_export_as_of_a_day_before_any_history_is_a_400(client, organisation, viewer, text):
    url = reverse("register_export", args=[organisation.slug, "corporate"])
    response = client.get(url, {"format": "csv", "as_of": text})
    assert response.status_code == 400
    assert AS_OF_TOO_EARLY in response.context["form"].errors["as_of"][0]


def test_export_command_as_of_a_day_before_any_history_exits_with_a_message(organisation):
    with pytest.raises(CommandError) as caught:
        call_command(
            "export_register",
            "--org",
            organisation.slug,
            "--register",
            "corporate",
            "--format",
            "csv",
            "--as-of",
            "0001-01-01",
            stdout=io.StringIO(),
        )
    assert AS_OF_TOO_EARLY in str(caught.value)


@pytest.mark.parametrize(
    "params", [{"since": "0001-01-01"}, {"since": "0001-01-01", "until": "0001-01-02"}]
)
def test_movement_since_a_day_before_any_history_is_a_400(client, organisation, viewer, params):
    response = client.get(reverse("movement", args=[organisation.slug]), params)
    assert response.status_code == 400
    assert response.context["form"].errors["since"] == [capfirst(AS_OF_TOO_EARLY)]


def test_a_pack_as_at_a_day_before_any_history_is_refused(client, organisation):
    client.force_login(MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user)
    response = client.post(
        reverse("packs", args=[organisation.slug]),
        {"kind": "quarterly", "edition": "full", "as_of": "0001-01-01"},
    )
    assert response.context["form"].errors["as_of"] == [capfirst(AS_OF_TOO_EARLY)]
    assert not Pack.objects.filter(organisation=organisation).exists()


def test_build_pack_as_of_a_day_before_any_history_exits_with_a_message(organisation, tmp_path):
    with pytest.raises(CommandError) as caught:
        call_command(
            "build_pack",
            "--org",
            organisation.slug,
            "--kind",
            "quarterly",
            "--as-of",
            "0001-01-01",
            "--out",
            str(tmp_path / "pack.pdf"),
            stdout=io.StringIO(),
        )
    assert AS_OF_TOO_EARLY in str(caught.value)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_send_reminders_on_a_day_at_the_calendars_ends_exits_with_a_message(day):
    with pytest.raises(CommandError, match="--today must be a date from 1900-01-01 to 2999-12-31"):
        call_command("send_reminders", "--today", day, "--dry-run", stdout=io.StringIO())
