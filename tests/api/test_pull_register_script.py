"""docs/api/pull_register.sh against a live server (real HTTP, a real token): it follows every
cursor page of one register and writes the risks to a file; a refused token writes nothing."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from registers.models import Role
from tests import factories

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "api" / "pull_register.sh"

pytestmark = pytest.mark.django_db(transaction=True)


def _run(live_server, token, *args, **env):
    return subprocess.run(  # noqa: S603 (our own script, fixed arguments)
        ["bash", str(SCRIPT), live_server.url, *args],  # noqa: S607 (bash from PATH)
        env={**os.environ, "RISKREG_TOKEN": token, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def world(organisation, corporate_register, member, token_for):
    department = factories.RegisterFactory(organisation=organisation, slug="finance")
    mine = [factories.RiskFactory(register=department, ref=f"F{n}") for n in range(7)]
    factories.RiskFactory(register=corporate_register, ref="CORP1")  # another register
    other = factories.OrganisationFactory()
    factories.RiskFactory(register=factories.corporate_register_of(other), ref="F99")
    _, secret = token_for(member(Role.VIEWER), [organisation])
    return organisation, mine, secret


def test_the_script_pulls_every_page_of_one_register(live_server, world, tmp_path):
    organisation, mine, secret = world
    out = tmp_path / "finance.json"
    result = _run(live_server, secret, organisation.slug, "finance", str(out), PAGE_SIZE="3")
    assert result.returncode == 0, result.stderr
    assert "7 risks in 3 pages" in result.stdout
    risks = json.loads(out.read_text())
    assert sorted(risk["ref"] for risk in risks) == sorted(risk.ref for risk in mine)
    assert {risk["register"] for risk in risks} == {"finance"}
    assert all("current_score" in risk and "appetite" in risk for risk in risks)
    assert secret not in result.stdout + result.stderr


def test_a_refused_token_or_organisation_writes_nothing(live_server, world, tmp_path):
    organisation, _, secret = world
    out = tmp_path / "out.json"
    refused = _run(live_server, "rr_not-a-token", organisation.slug, "finance", str(out))
    assert refused.returncode == 1 and "answered 401" in refused.stderr
    beyond = _run(live_server, secret, "no-such-org", "finance", str(out))
    assert beyond.returncode == 1 and "answered 404" in beyond.stderr
    assert not out.exists()
    usage = _run(live_server, "", organisation.slug, "finance", str(out))
    assert usage.returncode == 2 and "RISKREG_TOKEN" in usage.stderr
