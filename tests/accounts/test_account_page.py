""" "Your account": name and job title (one security log line per change), the e-mail address
(changed only once the link sent to the new address is followed), the password, second
factors, the sessions signed in elsewhere (ended from here), and the reminder e-mail choice of
each organisation the person belongs to (nothing of an organisation they do not)."""

from __future__ import annotations

import logging
import re

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.account_page import DETAILS_SAVED
from accounts.forms_account import EMAIL_SAME, NAME_NEEDED
from accounts.forms_password import CURRENT_PASSWORD_WRONG
from registers.models import Role
from reporting.models import DigestFrequency, ReminderPreference
from tests.factories import PASSWORD, MembershipFactory, OrganisationFactory
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db

BASE_URL = "https://risks.example.test"
ACCOUNT = "/accounts/you/"
FIREFOX_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
)
CHROME_ON_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.RISKREG_BASE_URL = BASE_URL
    cache.clear()  # allauth's rate limits
    yield
    cache.clear()


@pytest.fixture
def person(organisation):
    return MembershipFactory(
        organisation=organisation,
        role=Role.OWNER,
        user__email="ann.smith@example.test",
        user__full_name="Ann Smith",
    ).user


def signed_in(person, user_agent: str = FIREFOX_ON_WINDOWS) -> Client:
    """A browser signed in through the sign-in form (so allauth records the session)."""
    client = Client(HTTP_USER_AGENT=user_agent)
    response = client.post("/login/", {"login": person.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def security_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "riskreg.security"]


def test_the_header_names_the_person_and_links_to_the_page(client, person, organisation):
    client.force_login(person)
    page = client.get(reverse("organisation", args=[organisation.slug])).content.decode()
    assert re.search(rf'<a class="govuk-service-navigation__link" href="{ACCOUNT}"[^>]*>', page)
    assert "Ann Smith</a>" in page
    own = client.get(ACCOUNT).content.decode()
    assert re.search(rf'<a [^>]*href="{ACCOUNT}"[^>]*aria-current="page"', own)


def test_signed_out_is_sent_to_sign_in(client):
    response = client.get(ACCOUNT)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_page_shows_everything_with_its_links(client, person, organisation):
    person.job_title = "Head of Audit"
    person.save()
    client.force_login(person)
    page = client.get(ACCOUNT).content.decode()
    assert '<h1 class="govuk-heading-l">Your account</h1>' in page
    assert 'value="Ann Smith"' in page and 'value="Head of Audit"' in page
    assert person.email in page
    for name in ("account_email", "account_change_password", "mfa_index"):
        assert f'href="{reverse(name)}"' in page
    assert "Two-factor sign-in" in page and "Off" in page
    assert "You are not signed in anywhere else." in page
    assert f'action="{reverse("account_reminders", args=[organisation.slug])}"' in page


def test_name_and_job_title_change_with_one_security_line(client, person, caplog):
    client.force_login(person)
    caplog.set_level(logging.INFO, logger="riskreg.security")
    caplog.clear()
    response = client.post(ACCOUNT, {"full_name": " Ann Jones ", "job_title": "Chief Auditor"})
    assert response.status_code == 302 and response["Location"] == ACCOUNT
    person.refresh_from_db()
    assert (person.full_name, person.job_title) == ("Ann Jones", "Chief Auditor")
    assert security_lines(caplog) == [
        f"account changed: user={person.pk}: full_name: 'Ann Smith' -> 'Ann Jones'; "
        f"job_title: '' -> 'Chief Auditor' by={person.pk}"
    ]
    assert DETAILS_SAVED in client.get(ACCOUNT).content.decode()
    # Saving the same again changes nothing and logs nothing.
    caplog.clear()
    client.post(ACCOUNT, {"full_name": "Ann Jones", "job_title": "Chief Auditor"})
    assert security_lines(caplog) == []


def test_a_name_is_needed(client, person):
    client.force_login(person)
    response = client.post(ACCOUNT, {"full_name": "  ", "job_title": "CFO"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "govuk-error-summary" in page and NAME_NEEDED in page
    assert 'href="#id_full_name"' in page
    person.refresh_from_db()
    assert (person.full_name, person.job_title) == ("Ann Smith", "")


def test_too_long_a_job_title_is_refused(client, person):
    client.force_login(person)
    response = client.post(ACCOUNT, {"full_name": "Ann", "job_title": "x" * 151})
    assert response.status_code == 400
    person.refresh_from_db()
    assert person.full_name == "Ann Smith"


# --- e-mail address --------------------------------------------------------------------------

CONFIRM_LINK = re.compile(r"^https://risks\.example\.test(/accounts/confirm-email/\S+/)$", re.M)


def ask_to_change(client, send_queued_email, new: str):
    with send_queued_email() as outbox:
        response = client.post(reverse("account_email"), {"email": new, "action_add": ""})
    return response, outbox


@pytest.mark.parametrize("from_before", [True, False], ids=["account-from-before", "made-now"])
def test_the_address_changes_only_when_the_new_one_is_confirmed(
    person, send_queued_email, from_before
):
    """An account has its confirmed address in allauth's table from the moment it is made
    (decision 96); one from before that, which the migration left without (decision 96 says
    which), gets it from the change form first. Either way nothing changes until the link sent
    to the new address is followed."""
    if from_before:
        EmailAddress.objects.filter(user=person).delete()
    client = signed_in(person)
    response, outbox = ask_to_change(client, send_queued_email, "Ann.Jones@Example.test")
    assert response.status_code == 302
    (message,) = outbox
    assert message.to == ["ann.jones@example.test"]
    assert message.subject == "riskreg: Confirm your new e-mail address"
    assert "Hello from" not in message.body and "example.com" not in message.body
    (link,) = CONFIRM_LINK.findall(message.body)
    assert f'href="{BASE_URL}{link}"' in message.alternatives[0][0]

    person.refresh_from_db()
    assert person.email == "ann.smith@example.test"
    page = client.get(ACCOUNT).content.decode()
    assert "Changing to <strong>ann.jones@example.test</strong>" in page
    # Still signs in with the old address meanwhile.
    signed_in(person)
    # Opening the link shows what will happen; only confirming changes it.
    opened = client.get(link)
    assert "ann.jones@example.test" in opened.content.decode()
    person.refresh_from_db()
    assert person.email == "ann.smith@example.test"

    with send_queued_email() as outbox:
        confirmed = client.post(link)
    assert confirmed.status_code == 302 and confirmed["Location"] == ACCOUNT
    person.refresh_from_db()
    assert person.email == "ann.jones@example.test"
    assert list(EmailAddress.objects.filter(user=person).values_list("email", "primary")) == [
        ("ann.jones@example.test", True)
    ]
    # The old address is told.
    notice = outbox[-1]
    assert notice.to == ["ann.smith@example.test"]
    assert notice.subject == "riskreg: Your e-mail address was changed"
    assert "from ann.smith@example.test to ann.jones@example.test" in notice.body
    # The new address signs in.
    person.email = "ann.jones@example.test"
    signed_in(person)


def test_changing_to_the_same_address_is_explained(person, send_queued_email):
    client = signed_in(person)
    response, outbox = ask_to_change(client, send_queued_email, person.email.upper())
    assert EMAIL_SAME in response.content.decode()
    assert outbox == []


def test_a_change_can_be_cancelled(person, send_queued_email):
    client = signed_in(person)
    ask_to_change(client, send_queued_email, "ann.jones@example.test")
    response = client.post(
        reverse("account_email"), {"email": "ann.jones@example.test", "action_remove": ""}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.email == "ann.smith@example.test"
    assert "Changing to" not in client.get(ACCOUNT).content.decode()


def test_the_e_mail_page_reads_plainly(person, send_queued_email):
    client = signed_in(person)
    page = client.get(reverse("account_email")).content.decode()
    assert "Change your e-mail address" in page and person.email in page
    assert "Primary" not in page and "Re-send Verification" not in page
    ask_to_change(client, send_queued_email, "ann.jones@example.test")
    page = client.get(reverse("account_email")).content.decode()
    assert "ann.jones@example.test" in page and "Send the link again" in page


# --- password ------------------------------------------------------------------------------


def test_changing_the_password_keeps_this_session_and_ends_the_others(person, send_queued_email):
    here, there = signed_in(person), signed_in(person, CHROME_ON_MAC)
    wrong = here.post(
        reverse("account_change_password"),
        {"oldpassword": "not-it", "password1": "a-new-one-entirely-7", "password2": "x"},
    )
    assert CURRENT_PASSWORD_WRONG in wrong.content.decode()
    with send_queued_email() as outbox:
        response = here.post(
            reverse("account_change_password"),
            {
                "oldpassword": PASSWORD,
                "password1": "a-new-one-entirely-7",
                "password2": "a-new-one-entirely-7",
            },
        )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password("a-new-one-entirely-7")
    assert here.get(ACCOUNT).status_code == 200
    assert there.get(ACCOUNT).status_code == 302
    (notice,) = outbox
    assert notice.subject == "riskreg: Your password was changed"
    assert "Firefox on Windows" in notice.body and f"{BASE_URL}{ACCOUNT}" in notice.body


# --- sessions ------------------------------------------------------------------------------


def test_sessions_elsewhere_are_listed_and_ended(person):
    here = signed_in(person, FIREFOX_ON_WINDOWS)
    there = signed_in(person, CHROME_ON_MAC)
    page = here.get(ACCOUNT).content.decode()
    assert "This device: Firefox on Windows" in page
    assert "Chrome on Mac" in page and "Sign out everywhere else" in page
    assert f'action="{reverse("usersessions_list")}"' in page
    response = here.post(reverse("usersessions_list"))
    assert response.status_code == 302
    assert there.get(ACCOUNT).status_code == 302  # signed out
    page = here.get(ACCOUNT).content.decode()
    assert "You are not signed in anywhere else." in page


def test_the_sessions_page_reads_plainly(person):
    here = signed_in(person, FIREFOX_ON_WINDOWS)
    signed_in(person, CHROME_ON_MAC)
    page = here.get(reverse("usersessions_list")).content.decode()
    assert "Firefox on Windows" in page and "This device" in page and "Chrome on Mac" in page
    assert "Mozilla/5.0" not in page
    assert "Sign out everywhere else" in page


# --- reminder e-mails ----------------------------------------------------------------------


def reminders_url(organisation) -> str:
    return reverse("account_reminders", args=[organisation.slug])


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_every_member_chooses_per_organisation(client, organisation, role):
    other = OrganisationFactory(name="Second Body")
    membership = MembershipFactory(organisation=organisation, role=role)
    second = MembershipFactory(organisation=other, user=membership.user, role=Role.VIEWER)
    client.force_login(membership.user)
    page = client.get(ACCOUNT).content.decode()
    assert page.count('name="frequency"') == 0  # each form's field is named for its organisation
    assert f'name="{organisation.slug}-frequency"' in page
    assert f'name="{other.slug}-frequency"' in page
    response = client.post(
        reminders_url(organisation), {f"{organisation.slug}-frequency": DigestFrequency.NEVER}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{ACCOUNT}#reminders-{organisation.slug}"
    assert ReminderPreference.objects.get(membership=membership).frequency == "never"
    assert not ReminderPreference.objects.filter(membership=second).exists()
    client.post(reminders_url(other), {f"{other.slug}-frequency": DigestFrequency.WEEKLY})
    assert ReminderPreference.objects.get(membership=second).frequency == "weekly"
    assert ReminderPreference.objects.get(membership=membership).frequency == "never"
    page = client.get(ACCOUNT).content.decode()
    assert f"Reminder e-mails from {other.display_name}: weekly, on mondays." in page
    assert re.search(
        rf'id="id_{organisation.slug}-frequency_2" name="{organisation.slug}-frequency" '
        r'type="radio" value="never"[^>]* checked',
        page,
    )


def test_a_bad_choice_is_explained(client, person, organisation):
    client.force_login(person)
    response = client.post(
        reminders_url(organisation), {f"{organisation.slug}-frequency": "hourly"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert f'href="#id_{organisation.slug}-frequency_0"' in page
    assert not ReminderPreference.objects.exists()


def test_another_organisations_choice_is_not_found(client, person, other_organisation):
    MembershipFactory(organisation=other_organisation)
    client.force_login(person)
    response = client.post(
        reminders_url(other_organisation), {f"{other_organisation.slug}-frequency": "never"}
    )
    assert response.status_code == 404
    assert not ReminderPreference.objects.exists()
    assert other_organisation.display_name not in client.get(ACCOUNT).content.decode()
    assert client.get(reminders_url(person.memberships.get().organisation)).status_code == 405


def test_the_organisations_reminders_page_sends_members_here(client, person, organisation):
    client.force_login(person)
    page = client.get(reverse("reminder_preferences", args=[organisation.slug])).content.decode()
    assert "You get them daily" in page
    assert f'href="{ACCOUNT}#reminders-{organisation.slug}"' in page
    # Choosing there is gone: a member's post is refused and changes nothing.
    response = client.post(
        reverse("reminder_preferences", args=[organisation.slug]), {"frequency": "never"}
    )
    assert response.status_code == 403
    assert not ReminderPreference.objects.exists()


def test_queries_do_not_grow_with_memberships(client, person):
    client.force_login(person)
    client.get(ACCOUNT)  # warm caches

    def grow():
        for _ in range(4):
            MembershipFactory(user=person, role=Role.VIEWER)

    before, after = assert_same_queries(lambda: client.get(ACCOUNT), grow, at_most=25)
    assert after.content.decode().count("How often") == 5
