"""/api/v1/risks/<pk>/controls/ and /actions/: a risk's controls and mitigating actions, read and
written through the services the risk page uses (``control_add``, ``control_update``,
``action_add``, ``action_update``), checked by the page's forms, with the control's or action's
version as its ETag."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from registers.forms import ActionForm, ActionProgressForm, ControlForm
from registers.models import Action, ActionStatus, Control, Effectiveness
from registers.permissions import action_for_user, control_for_user
from registers.services.risks import action_add, control_add
from registers.services.treatments import (
    ACTION_OWNER_FIELDS,
    TreatmentConflict,
    action_update,
    control_update,
)
from registers.withholding import withhold_actions

from .access import api_risk
from .children import (
    NOTHING_TO_CHANGE,
    ChildCursorPagination,
    etag,
    form_errors,
    if_match,
    may_write,
    owner_by_email,
    posted_fields,
    reason,
    service_errors,
    stale,
)
from .serializers_treatments import (
    ActionSerializer,
    ActionWriteSerializer,
    ControlSerializer,
    ControlWriteSerializer,
)

CONTROL_FIELDS = ("description", "owner", "effectiveness", "assurance")
ACTION_FIELDS = (
    "description",
    "owner",
    "due_date",
    "status",
    "priority",
    "difficulty",
    "progress_note",
)
MAY_NOT_ADD_CONTROLS = "You may not add controls to this risk."
MAY_NOT_CHANGE_CONTROL = "You may not change this control."
MAY_NOT_ADD_ACTIONS = "You may not add actions to this risk."
MAY_NOT_UPDATE_ACTION = "You may not update this action."
ACTION_OWNER_ONLY = (
    "As the action's owner you may change its status and progress note only, not: {fields}."
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="The ETag (version) from your last GET; a stale one is refused with 412.",
)


def _as_data(value) -> str:
    """A stored value as the page's form would have it posted."""
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _current(row, names) -> dict:
    data = {name: _as_data(getattr(row, name)) for name in names if name != "owner"}
    if "owner" in names:
        data["owner"] = _as_data(row.owner_id)
    return data


def _answer(serializer, *, code=status.HTTP_200_OK) -> Response:
    response = Response(serializer.data, status=code)
    response["ETag"] = etag(serializer.instance.version)
    return response


class ControlViewSet(viewsets.ViewSet):
    """A risk's controls."""

    pagination_class = ChildCursorPagination

    @extend_schema(responses=ControlSerializer(many=True))
    def list(self, request, pk=None):
        """The risk's controls in the page's order; a risk you are not cleared for lists them
        with their text withheld."""
        access, risk = api_risk(request, pk)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            Control.objects.filter(risk=risk).select_related("owner"), request, view=self
        )
        context = {"withheld": not access.can_see_sensitive(risk)}
        return paginator.get_paginated_response(
            ControlSerializer(page, many=True, context=context).data
        )

    @extend_schema(request=ControlWriteSerializer, responses={201: ControlSerializer})
    def create(self, request, pk=None):
        """Add a control (whoever may edit the risk); its ETag is in the answer."""
        access, risk = api_risk(request, pk)
        may_write(
            request,
            access,
            risk,
            allowed=access.can_edit_risk(risk),
            refusal=MAY_NOT_ADD_CONTROLS,
        )
        data = {"effectiveness": Effectiveness.NOT_ASSESSED, "assurance": ""}
        data |= posted_fields(request, allowed=CONTROL_FIELDS, noun="control")
        organisation = access.organisation
        data["owner"] = owner_by_email(organisation, data.get("owner", ""), nouns="controls")
        form = ControlForm(data, organisation=organisation)
        if not form.is_valid():
            raise form_errors(form)
        try:
            control = control_add(
                risk=risk,
                position=Control.objects.filter(risk=risk).count(),
                reason=reason(request),
                **form.cleaned_data,
            )
        except DjangoValidationError as error:
            raise service_errors(form, error) from error
        return _answer(ControlSerializer(control), code=status.HTTP_201_CREATED)

    def _control(self, request, pk, control_pk):
        access, risk = api_risk(request, pk)
        control = control_for_user(user=request.user, risk=risk, pk=control_pk)
        control.risk = risk
        return access, risk, control

    @extend_schema(responses=ControlSerializer)
    def retrieve(self, request, pk=None, control_pk=None):
        """One control, with its ETag (its version) for a PATCH's If-Match."""
        access, risk, control = self._control(request, pk, control_pk)
        context = {"withheld": not access.can_see_sensitive(risk)}
        return _answer(ControlSerializer(control, context=context))

    @extend_schema(
        request=ControlWriteSerializer, responses=ControlSerializer, parameters=[IF_MATCH]
    )
    def partial_update(self, request, pk=None, control_pk=None):
        """Change a control: If-Match with its ETag (stale or missing: 412)."""
        access, risk, control = self._control(request, pk, control_pk)
        may_write(
            request,
            access,
            risk,
            allowed=access.can_update_control(control),
            refusal=MAY_NOT_CHANGE_CONTROL,
        )
        given = if_match(request, version=control.version, noun="control")
        patch = posted_fields(request, allowed=CONTROL_FIELDS, noun="control")
        if not patch:
            raise ValidationError({"non_field_errors": [NOTHING_TO_CHANGE]})
        organisation = access.organisation
        keep = [control.owner_id]
        data = _current(control, CONTROL_FIELDS) | patch
        if "owner" in patch:
            data["owner"] = owner_by_email(
                organisation, patch["owner"], nouns="controls", keep=keep
            )
        form = ControlForm(data, organisation=organisation, keep=keep)
        if not form.is_valid():
            raise form_errors(form)
        try:
            control = control_update(
                control=control,
                expected_version=given,
                reason=reason(request),
                **{name: form.cleaned_data[name] for name in patch},
            )
        except TreatmentConflict as conflict:
            raise stale("control", given, conflict.current.version) from conflict
        except DjangoValidationError as error:
            raise service_errors(form, error) from error
        return _answer(ControlSerializer(control))


class ActionViewSet(viewsets.ViewSet):
    """A risk's mitigating actions."""

    pagination_class = ChildCursorPagination

    @extend_schema(responses=ActionSerializer(many=True))
    def list(self, request, pk=None):
        """The risk's actions in the page's order; a risk you are not cleared for lists them
        with their text withheld."""
        access, risk = api_risk(request, pk)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            Action.objects.filter(risk=risk).select_related("owner"), request, view=self
        )
        for action in page:
            action.risk = risk
        page = withhold_actions(page, access=access)
        return paginator.get_paginated_response(ActionSerializer(page, many=True).data)

    @extend_schema(request=ActionWriteSerializer, responses={201: ActionSerializer})
    def create(self, request, pk=None):
        """Add an action (whoever may edit the risk); its ETag is in the answer."""
        access, risk = api_risk(request, pk)
        may_write(
            request,
            access,
            risk,
            allowed=access.can_edit_risk(risk),
            refusal=MAY_NOT_ADD_ACTIONS,
        )
        data = {
            "status": ActionStatus.NOT_STARTED,
            "due_date": "",
            "priority": "",
            "difficulty": "",
            "progress_note": "",
        }
        data |= posted_fields(request, allowed=ACTION_FIELDS, noun="action")
        organisation = access.organisation
        data["owner"] = owner_by_email(organisation, data.get("owner", ""), nouns="actions")
        form = ActionForm(data, organisation=organisation)
        if not form.is_valid():
            raise form_errors(form)
        try:
            action = action_add(
                risk=risk,
                position=Action.objects.filter(risk=risk).count(),
                reason=reason(request),
                **form.cleaned_data,
            )
        except DjangoValidationError as error:
            raise service_errors(form, error) from error
        return _answer(ActionSerializer(action), code=status.HTTP_201_CREATED)

    def _action(self, request, pk, action_pk):
        access, risk = api_risk(request, pk)
        action = action_for_user(user=request.user, risk=risk, pk=action_pk)
        action.risk = risk
        return access, risk, action

    @extend_schema(responses=ActionSerializer)
    def retrieve(self, request, pk=None, action_pk=None):
        """One action, with its ETag (its version) for a PATCH's If-Match."""
        access, risk, action = self._action(request, pk, action_pk)
        [action] = withhold_actions([action], access=access)
        return _answer(ActionSerializer(action))

    @extend_schema(request=ActionWriteSerializer, responses=ActionSerializer, parameters=[IF_MATCH])
    def partial_update(self, request, pk=None, action_pk=None):
        """Change an action: If-Match with its ETag (stale or missing: 412). Whoever may edit
        the risk changes every field; the action's owner only its status and progress note, as
        on the risk page."""
        access, risk, action = self._action(request, pk, action_pk)
        may_write(
            request,
            access,
            risk,
            allowed=access.can_update_action(action),
            refusal=MAY_NOT_UPDATE_ACTION,
        )
        full = access.can_edit_risk(risk)
        given = if_match(request, version=action.version, noun="action")
        patch = posted_fields(request, allowed=ACTION_FIELDS, noun="action")
        if not patch:
            raise ValidationError({"non_field_errors": [NOTHING_TO_CHANGE]})
        beyond = sorted(set(patch) - ACTION_OWNER_FIELDS)
        if not full and beyond:
            raise PermissionDenied(ACTION_OWNER_ONLY.format(fields=", ".join(beyond)))
        organisation = access.organisation
        keep = [action.owner_id]
        form_class = ActionForm if full else ActionProgressForm
        names = ACTION_FIELDS if full else tuple(sorted(ACTION_OWNER_FIELDS))
        data = _current(action, names) | patch
        if "owner" in patch:
            data["owner"] = owner_by_email(organisation, patch["owner"], nouns="actions", keep=keep)
        form = form_class(data, organisation=organisation, keep=keep)
        if not form.is_valid():
            raise form_errors(form)
        try:
            action = action_update(
                action=action,
                expected_version=given,
                reason=reason(request),
                **{name: form.cleaned_data[name] for name in patch},
            )
        except TreatmentConflict as conflict:
            raise stale("action", given, conflict.current.version) from conflict
        except DjangoValidationError as error:
            raise service_errors(form, error) from error
        return _answer(ActionSerializer(action))
