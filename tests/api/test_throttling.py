"""Calls are limited per token (RISKREG_API_RATE): one script over its rate gets 429 with
Retry-After; another token of the same person, and a session, count on their own."""

from api.throttling import TokenRateThrottle
from registers.models import Role


def test_each_token_has_its_own_rate(organisation, member, token_for, api, monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"api": "3/min"})
    user = member(Role.COORDINATOR)
    _, first = token_for(user, [organisation], name="first")
    _, second = token_for(user, [organisation], name="second")
    url = f"/api/v1/risks/?organisation={organisation.slug}"
    script = api(first)
    assert [script.get(url).status_code for _ in range(3)] == [200, 200, 200]
    refused = script.get(url)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert api(second).get(url).status_code == 200
    browser = api()
    browser.force_login(user)
    assert browser.get(url).status_code == 200
