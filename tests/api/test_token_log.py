"""The security log ("riskreg.security") records each API token's life and every refused call
(issue 19): created, revoked (and by whom), an organisation taken off by its admin; an unknown,
expired, revoked or malformed token, a token that does not reach the organisation, a read-only
token's write. The token itself is never written to the log, only its id and first characters."""

from __future__ import annotations

import datetime as dt
import io
import logging

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from api.services import api_token_organisation_remove, api_token_revoke
from registers.models import Role
from tests.factories import MembershipFactory, RiskFactory

pytestmark = pytest.mark.django_db

LOGGER = "riskreg.security"


@pytest.fixture
def security_log(caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)

    def lines() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == LOGGER]

    return lines


def _risks(api, secret, organisation):
    return api(secret).get(f"/api/v1/risks/?organisation={organisation.slug}")


def test_a_token_made_on_the_page_is_logged_without_its_secret(
    organisation, member, client, security_log
):
    user = member(Role.VIEWER)
    client.force_login(user)
    response = client.post(
        reverse("account_api_tokens"),
        {
            "name": "board",
            "expires_days": "7",
            "access": "read-only",
            "organisations": [organisation.pk],
        },
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(user=user)
    created = [line for line in security_log() if line.startswith("api token created")]
    assert created == [
        f"api token created: user={user.pk} token={token.pk} name='board' "
        f"organisations={organisation.slug} read_only=True"
    ]
    secret = response.content.decode().split('id="api-token" type="text" value="', 1)[1][:40]
    assert not any(secret in line for line in security_log())


def test_a_token_made_by_the_command_is_logged_without_its_secret(
    organisation, member, security_log
):
    user = member(Role.VIEWER)
    out = io.StringIO()
    call_command(
        "api_token", "create", "--email", user.email, "--org", organisation.slug, stdout=out
    )
    secret = out.getvalue().strip().splitlines()[-1]
    assert any(line.startswith("api token created") for line in security_log())
    assert not any(secret in line for line in security_log())


def test_revokes_are_logged_with_who_revoked(organisation, member, token_for, security_log):
    owner, admin = member(Role.OWNER), member(Role.ADMIN)
    by_owner, _ = token_for(owner, [organisation], name="one")
    by_admin, _ = token_for(owner, [organisation], name="two")
    api_token_revoke(token=by_owner, by=owner)
    api_token_organisation_remove(token=by_admin, organisation=organisation, by=admin)
    lines = security_log()
    assert f"api token revoked: token={by_owner.pk} name='one' user={owner.pk} by={owner.pk}" in (
        lines
    )
    assert (
        f"api token organisation removed: token={by_admin.pk} name='two' user={owner.pk} "
        f"organisation={organisation.slug} by={admin.pk}"
    ) in lines
    assert f"api token revoked: token={by_admin.pk} name='two' user={owner.pk} by={admin.pk}" in (
        lines
    )


def test_a_revoke_by_the_command_is_logged(organisation, member, token_for, security_log):
    user = member(Role.VIEWER)
    token, _ = token_for(user, [organisation], name="cron")
    call_command(
        "api_token", "revoke", "--email", user.email, "--name", "cron", stdout=io.StringIO()
    )
    assert f"api token revoked: token={token.pk} name='cron' user={user.pk} by=-" in security_log()


def test_unknown_expired_revoked_and_malformed_tokens_are_logged(
    organisation, member, token_for, api, security_log
):
    user = member(Role.VIEWER)
    expired, expired_secret = token_for(user, [organisation], name="old")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    revoked, revoked_secret = token_for(user, [organisation], name="gone")
    api_token_revoke(token=revoked, by=user)
    unknown = "rr_" + "u" * 43
    for secret in (unknown, expired_secret, revoked_secret, "a b"):
        assert _risks(api, secret, organisation).status_code == 401
    refused = [line for line in security_log() if line.startswith("api refused")]
    assert refused[0].startswith(f"api refused: unknown token (prefix {unknown[:10]})")
    assert refused[1].startswith(f"api refused: expired token (prefix {expired.prefix})")
    assert refused[2].startswith(f"api refused: revoked token (prefix {revoked.prefix})")
    assert refused[3].startswith("api refused: malformed Bearer header")
    for secret in (unknown, expired_secret, revoked_secret):
        assert not any(secret in line for line in security_log())


def test_a_token_that_does_not_reach_the_organisation_is_logged(
    organisation, other_organisation, member, token_for, api, security_log
):
    user = member(Role.VIEWER)
    MembershipFactory(user=user, organisation=other_organisation, role=Role.VIEWER)
    token, secret = token_for(user, [organisation])
    theirs = RiskFactory(register=other_organisation.registers.get(slug="corporate"))
    assert _risks(api, secret, other_organisation).status_code == 404
    assert api(secret).get(f"/api/v1/risks/{theirs.pk}/").status_code == 404
    expected = (
        f"refused: user={user.pk} organisation={other_organisation.slug}: "
        f"API token {token.pk} does not cover it"
    )
    assert security_log().count(expected) == 2


def test_a_read_only_tokens_write_is_logged(organisation, member, token_for, api, security_log):
    user = member(Role.COORDINATOR)
    token, secret = token_for(user, [organisation], read_only=True)
    risk = RiskFactory(register=organisation.registers.get(slug="corporate"))
    response = api(secret).patch(
        f"/api/v1/risks/{risk.pk}/",
        {"title": "changed"},
        format="json",
        HTTP_IF_MATCH=f'"{risk.version}"',
    )
    assert response.status_code == 403
    assert (
        f"api refused: read-only token={token.pk} user={user.pk} tried PATCH "
        f"/api/v1/risks/{risk.pk}/"
    ) in security_log()
