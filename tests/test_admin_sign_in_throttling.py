"""django-axes' rows in the admin (decision 131): only superusers see failed sign-ins and the
access logs, whatever model permissions a staff account was given; a failed sign-in deleted
there clears its pause and is logged, by whom, naming the account by id and never the text
typed; the access logs are read there, never changed or deleted."""

from __future__ import annotations

import logging

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from registers.models import Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.9"
MODELS = ("accessattempt", "accesslog", "accessfailurelog")


@pytest.fixture
def superuser():
    return UserFactory(is_staff=True, is_superuser=True, full_name="Sam Super")


@pytest.fixture
def su_client(client, superuser) -> Client:
    client.force_login(superuser)
    return client


def failed_sign_in(username: str, failures: int = 5) -> AccessAttempt:
    return AccessAttempt.objects.create(
        username=username,
        ip_address=ADDRESS,
        user_agent="Firefox",
        http_accept="*/*",
        path_info="/accounts/login/",
        get_data="",
        post_data=f"login={username}",
        failures_since_start=failures,
    )


def sign_in_logged(model, username: str):
    return model.objects.create(
        username=username,
        ip_address=ADDRESS,
        user_agent="Firefox",
        http_accept="*/*",
        path_info="/accounts/login/",
    )


def security_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "riskreg.security"]


def test_an_organisation_admin_sees_none_of_axes_rows_whatever_permissions_they_hold(client):
    """Before, axes' admins asked only for model permissions: a staff organisation admin
    given them read every organisation's people's failed sign-ins."""
    admin = MembershipFactory(role=Role.ADMIN).user
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    admin.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="axes", codename__startswith="view_")
    )
    stranger = MembershipFactory(role=Role.VIEWER).user  # another organisation's person
    attempt = failed_sign_in(stranger.email)
    sign_in_logged(AccessLog, stranger.email)
    client.force_login(admin)
    for model in MODELS:
        assert client.get(reverse(f"admin:axes_{model}_changelist")).status_code == 403
    change = client.get(reverse("admin:axes_accessattempt_change", args=[attempt.pk]))
    assert change.status_code in (302, 403)
    assert stranger.email not in change.content.decode()
    assert "/axes/" not in client.get(reverse("admin:index")).content.decode()


def test_an_organisation_admin_by_membership_alone_sees_none_of_them(client):
    client.force_login(MembershipFactory(role=Role.ADMIN).user)
    for model in MODELS:
        assert client.get(reverse(f"admin:axes_{model}_changelist")).status_code == 403


def test_a_superuser_reads_a_failed_sign_in_and_cannot_change_it(su_client):
    attempt = failed_sign_in("ann.smith@example.test")
    change = reverse("admin:axes_accessattempt_change", args=[attempt.pk])
    assert su_client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 200
    assert su_client.get(change).status_code == 200
    assert su_client.post(change, {"failures_since_start": "0"}).status_code == 403
    assert su_client.get(reverse("admin:axes_accessattempt_add")).status_code == 403
    assert AccessAttempt.objects.get(pk=attempt.pk).failures_since_start == 5


def test_deleting_a_failed_sign_in_clears_the_pause_logged_by_whom(su_client, superuser, caplog):
    caplog.set_level(logging.INFO, logger="riskreg.security")
    person = UserFactory(email="ann.smith@example.test")
    attempt = failed_sign_in(person.email)
    delete = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert su_client.post(delete, {"post": "yes"}).status_code == 302
    assert not AccessAttempt.objects.exists()
    assert (
        f"sign-in failures cleared: user={person.pk} ip={ADDRESS} failures=5 by={superuser.pk}"
        in security_lines(caplog)
    )


def test_delete_selected_failed_sign_ins_logs_each_never_the_text_typed(
    su_client, superuser, caplog
):
    caplog.set_level(logging.INFO, logger="riskreg.security")
    person = UserFactory(email="ann.smith@example.test")
    chosen = [failed_sign_in(person.email, 2), failed_sign_in("correct horse battery", 5)]
    kept = failed_sign_in("bob.baker@example.test", 1)
    response = su_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [a.pk for a in chosen], "post": "yes"},
    )
    assert response.status_code == 302
    assert list(AccessAttempt.objects.values_list("pk", flat=True)) == [kept.pk]
    cleared = [line for line in security_lines(caplog) if "sign-in failures cleared" in line]
    assert cleared == [
        f"sign-in failures cleared: user={person.pk} ip={ADDRESS} failures=2 by={superuser.pk}",
        f"sign-in failures cleared: user=unknown-account ip={ADDRESS} failures=5 by={superuser.pk}",
    ]
    assert not any("correct horse" in line for line in security_lines(caplog))


@pytest.mark.parametrize("model", [AccessLog, AccessFailureLog])
def test_the_access_logs_are_read_never_changed_or_deleted(su_client, model):
    row = sign_in_logged(model, "ann.smith@example.test")
    name = model._meta.model_name
    assert su_client.get(reverse(f"admin:axes_{name}_changelist")).status_code == 200
    change = reverse(f"admin:axes_{name}_change", args=[row.pk])
    assert su_client.get(change).status_code == 200
    assert su_client.post(change, {"username": "someone"}).status_code == 403
    delete = reverse(f"admin:axes_{name}_delete", args=[row.pk])
    assert su_client.post(delete, {"post": "yes"}).status_code == 403
    su_client.post(
        reverse(f"admin:axes_{name}_changelist"),
        {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"},
    )
    assert model.objects.filter(pk=row.pk, username="ann.smith@example.test").exists()
