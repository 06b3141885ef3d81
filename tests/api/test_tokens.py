"""API tokens: created with a secret shown once (only its hash kept), used, expired, revoked."""

import datetime as dt
import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from api.models import ApiToken
from api.services import api_token_create, api_token_revoke
from registers.models import Role


def test_token_is_hashed_at_rest_and_authenticates(organisation, member, token_for, api):
    user = member(Role.COORDINATOR)
    token, secret = token_for(user, [organisation])
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    response = api(secret).get(f"/api/v1/risks/?organisation={organisation.slug}")
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_last_used_is_written_at_most_once_a_minute(organisation, member, token_for, api):
    token, secret = token_for(member(Role.VIEWER), [organisation])
    client = api(secret)
    client.get(f"/api/v1/risks/?organisation={organisation.slug}")
    token.refresh_from_db()
    first = token.last_used_at
    client.get(f"/api/v1/risks/?organisation={organisation.slug}")
    token.refresh_from_db()
    assert token.last_used_at == first


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer", "Bearer a b"])
def test_bad_tokens_are_401(organisation, header, caplog):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(f"/api/v1/risks/?organisation={organisation.slug}")
    assert response.status_code == 401


def test_no_credentials_is_401(organisation, api):
    assert api().get(f"/api/v1/risks/?organisation={organisation.slug}").status_code in (401, 403)


def test_expired_and_revoked_tokens_are_refused_and_logged(
    organisation, member, token_for, api, caplog
):
    user = member(Role.VIEWER)
    expired, expired_secret = token_for(user, [organisation], name="old")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    revoked, revoked_secret = token_for(user, [organisation], name="gone")
    api_token_revoke(token=revoked, by=user)
    with caplog.at_level("WARNING", logger="riskreg.security"):
        for secret in (expired_secret, revoked_secret):
            response = api(secret).get(f"/api/v1/risks/?organisation={organisation.slug}")
            assert response.status_code == 401
    assert "expired" in caplog.text and "revoked" in caplog.text


def test_create_refuses_organisations_of_which_not_a_member(
    organisation, other_organisation, member
):
    user = member(Role.COORDINATOR)
    with pytest.raises(ValidationError, match="not a member"):
        api_token_create(user=user, name="x", organisations=[other_organisation])


def test_create_refuses_more_than_a_year_and_duplicate_names(organisation, member):
    user = member(Role.COORDINATOR)
    with pytest.raises(ValidationError, match="at most a year"):
        api_token_create(user=user, name="x", organisations=[organisation], expires_days=366)
    token, _ = api_token_create(user=user, name="x", organisations=[organisation])
    with pytest.raises(ValidationError, match="already have"):
        api_token_create(user=user, name="x", organisations=[organisation])
    api_token_revoke(token=token, by=user)
    api_token_create(user=user, name="x", organisations=[organisation])


def test_command_prints_the_token_alone_on_its_last_line(organisation, member, api):
    user = member(Role.COORDINATOR)
    out = io.StringIO()
    call_command(
        "api_token",
        "create",
        "--email",
        user.email,
        "--org",
        organisation.slug,
        "--read-only",
        "--expires-days",
        "1",
        "--name",
        "contracts",
        stdout=out,
    )
    secret = out.getvalue().strip().splitlines()[-1]
    assert " " not in secret and len(secret) >= 20
    assert api(secret).get(f"/api/v1/risks/?organisation={organisation.slug}").status_code == 200
    call_command("api_token", "revoke", "--email", user.email, "--name", "contracts", stdout=out)
    assert api(secret).get(f"/api/v1/risks/?organisation={organisation.slug}").status_code == 401


@pytest.mark.parametrize(
    "args, message",
    [
        (["--email", "nobody@example.test", "--org", "x"], "No person"),
        (["--org", "no-such-org"], "No organisation"),
        (["--expires-days", "400"], "at most 365"),
    ],
)
def test_command_bad_input_fails_with_a_message(organisation, member, args, message):
    user = member(Role.COORDINATOR)
    base = ["--email", user.email, "--org", organisation.slug]
    if args[0] == "--email":
        base = []
    with pytest.raises(CommandError, match=message):
        call_command("api_token", "create", *base, *args, stdout=io.StringIO())
