"""The API's risk rows are built as plain dicts (decision 81): each must be what DRF's own field
machinery renders for the declared fields, key for key and in the same order, live and as of a
date, withheld or not, with and without ?fields=."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from api.risk_reads import appetite_then, risks_listed, trends_of
from api.serializers import RiskSerializer
from registers.models import Marking, Risk, Role
from registers.permissions import organisation_for_user
from registers.withholding import WITHHELD
from tests import factories


class DrfRendered(RiskSerializer):
    """RiskSerializer rendered by DRF's ModelSerializer, field by field, as it was before."""

    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    def to_representation(self, risk):
        data = serializers.ModelSerializer.to_representation(self, risk)
        if data["withheld"]:
            for name in ("description", "consequence"):
                data[name] = WITHHELD
        fields = self.context.get("fields")
        if fields:
            data = {k: v for k, v in data.items() if k in fields or k == "id"}
        return data


def _rendered(serializer_class, risks, context) -> bytes:
    return JSONRenderer().render(serializer_class(risks, many=True, context=context).data)


@pytest.fixture
def risks(organisation, corporate_register, member):
    owner = member(Role.OWNER, user__full_name="")
    category = factories.CategoryFactory(organisation=organisation)
    made = [
        factories.RiskFactory(register=corporate_register),
        factories.RiskFactory(register=corporate_register, positions={}),
        factories.RiskFactory(
            register=corporate_register,
            category=category,
            owner=owner,
            description="Secret cause",
            consequence="Secret effect",
            next_review_due=dt.date(2027, 1, 31),
            positions={"inherent": (5, 5), "current": (4, 4), "target": (1, 2)},
        ),
        factories.RiskFactory(register=corporate_register, category=category, response="Treat"),
    ]
    Risk.objects.filter(pk=made[2].pk).update(marking=Marking.OFFICIAL_SENSITIVE)
    Risk.objects.filter(pk=made[3].pk).update(status="closed", closed_reason="Gone")
    return made


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.VIEWER, Role.OWNER])
@pytest.mark.parametrize("fields", [None, {"title", "withheld", "description", "appetite"}])
@pytest.mark.parametrize("then", [False, True])
def test_rows_are_what_drf_renders(organisation, member, risks, role, fields, then):
    user = risks[2].owner if role == Role.OWNER else member(role)
    access = organisation_for_user(user=user, slug=organisation.slug)
    as_of = timezone.now() if then else None
    listed = list(risks_listed(organisation=organisation, as_of=as_of).order_by("id"))
    assert len(listed) == len(risks)
    context = {
        "access": {organisation.pk: access},
        "appetite": {organisation.pk: appetite_then(organisation=organisation, as_of=as_of)},
        "fields": fields,
        "trends": trends_of(listed, organisation=organisation, as_of=as_of),
    }
    with CaptureQueriesContext(connection) as queries:
        ours = _rendered(RiskSerializer, listed, dict(context))
    # Nothing read a row at a time (a live risk is read with only the fields it shows; a
    # record's withholding, for the uncleared, is one read of the marked risks).
    assert len(queries) == (1 if then and role != Role.COORDINATOR else 0)
    assert ours == _rendered(DrfRendered, listed, dict(context))
    rows = json.loads(ours)
    if fields is None:
        assert [row["withheld"] for row in rows] == [False, False, role == Role.VIEWER, False]
        assert list(rows[0]) == RiskSerializer.Meta.fields
