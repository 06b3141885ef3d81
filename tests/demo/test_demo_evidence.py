"""The demo's illustrative assurance evidence (issue 18, demo/evidence.py): ESPO-03's business
continuity control has a current first-line log and a third-line audit whose valid-until day has
passed, so the flag shows on the risk page and on its Risk Action Plan; seeding again adds
nothing."""

import datetime as dt

import pytest

from demo.evidence import evidence_seed
from registers.calendar import organisation_today
from registers.models import Organisation
from registers.models.evidence import AssuranceLine, Evidence
from registers.selectors.assurance import ASSURANCE_LAPSED, control_assurance
from reporting.packs.data import pack_data
from reporting.packs.render import render_html
from tests.reporting.test_packs import _espo_once, espo  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_espo_has_one_control_with_lapsed_assurance(espo, client):  # noqa: F811
    today = organisation_today(espo)
    pieces = list(Evidence.objects.filter(organisation=espo).select_related("risk", "control"))
    assert {p.risk.ref for p in pieces} == {"ESPO-03"}
    assert all("illustrative" in p.name and "(demo)" in p.description for p in pieces)
    (lapsed,) = [p for p in pieces if p.valid_until]
    assert lapsed.line == AssuranceLine.THIRD and lapsed.valid_until < today
    control = lapsed.control
    state = control_assurance(control_ids=[control.pk], today=today)[control.pk]
    assert state.lapsed
    expected = f"{ASSURANCE_LAPSED} on {lapsed.valid_until + dt.timedelta(days=1):%-d %b %Y}"
    assert state.flag == expected

    data = pack_data(organisation=espo, kind="committee", as_of=today)
    assert "ESPO-03" in [r.ref for r in data.details]
    assert expected in render_html(data)

    client.force_login(espo.memberships.get(user__email="viewer@espo.demo").user)
    page = client.get("/o/espo/risks/ESPO-03/").content.decode()
    assert expected in page.split('id="controls"', 1)[1].split("</table>", 1)[0]

    assert evidence_seed(Organisation.objects.get(slug="espo"), today=today) == 0
    assert Evidence.objects.filter(organisation=espo).count() == len(pieces)
