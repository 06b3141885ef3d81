"""/api/v1/risks/<pk>/controls/ and /actions/: a risk's controls and mitigating actions, read and
written through the services the risk page uses (``control_add``, ``control_update``,
``action_add``, ``action_update``), checked by the page's forms, with the control's or action's
version as its ETag."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from registers.form_values import as_posted
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


def _current(row, names) -> dict:
    data = {name: as_posted(getattr(row, name)) for name in names if name != "owner"}
    if "owner" in names:
        data["owner"] = as_posted(row.owner_id)
    return data


def _answer(serializer, *, code=status.HTTP_200_OK) -> Response:
    response = Response(serializer.data, status=code)
    response["ETag"] = etag(serializer.instance.version)
    return response


class TreatmentViewSet(viewsets.ViewSet):
    """What the controls' and the actions' endpoints share: list, add, read and change a risk's
    rows through the page's form and services. A subclass names its model, form, serializer,
    services, fields, nouns and refusals, and keeps the documented methods (their docstrings and
    schema) as thin calls of the ``_list``, ``_create``, ``_retrieve`` and ``_update`` here."""

    pagination_class = ChildCursorPagination
    model: type[models.Model]
    form_class: type
    row_serializer: type
    fields: tuple[str, ...]
    defaults: dict  # what the add form gets for a field the body leaves out (owner aside)
    noun: str  # "control": the service's keyword and the messages' noun
    nouns: str
    may_not_add: str
    may_not_change: str

    @staticmethod
    def service_add(**kwargs):
        raise NotImplementedError

    @staticmethod
    def service_update(**kwargs):
        raise NotImplementedError

    def find(self, *, user, risk, pk):
        """The row through its registers.permissions access function (looked up when called)."""
        raise NotImplementedError

    def may_change(self, access, row) -> bool:
        raise NotImplementedError

    def withhold(self, rows, *, access, risk) -> tuple[list, dict]:
        """The rows as shown and the serializer's context (a risk you are not cleared for:
        its rows' text withheld)."""
        return rows, {"withheld": not access.can_see_sensitive(risk)}

    def changeable(self, access, risk, patch) -> tuple[type, tuple[str, ...]]:
        """The form that checks a PATCH and the fields it needs; refuses what the member may
        not change."""
        return self.form_class, self.fields

    def _list(self, request, pk):
        access, risk = api_risk(request, pk)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            self.model.objects.filter(risk=risk).select_related("owner"), request, view=self
        )
        for row in page:
            row.risk = risk
        page, context = self.withhold(page, access=access, risk=risk)
        return paginator.get_paginated_response(
            self.row_serializer(page, many=True, context=context).data
        )

    def _create(self, request, pk):
        access, risk = api_risk(request, pk)
        may_write(
            request,
            access,
            risk,
            allowed=access.can_edit_risk(risk),
            refusal=self.may_not_add,
        )
        data = dict(self.defaults)
        data |= posted_fields(request, allowed=self.fields, noun=self.noun)
        organisation = access.organisation
        data["owner"] = owner_by_email(organisation, data.get("owner", ""), nouns=self.nouns)
        form = self.form_class(data, organisation=organisation)
        if not form.is_valid():
            raise form_errors(form)
        try:
            row = self.service_add(
                risk=risk,
                position=self.model.objects.filter(risk=risk).count(),
                reason=reason(request),
                **form.cleaned_data,
            )
        except DjangoValidationError as error:
            raise service_errors(form, error) from error
        return _answer(self.row_serializer(row), code=status.HTTP_201_CREATED)

    def _row(self, request, pk, row_pk):
        access, risk = api_risk(request, pk)
        row = self.find(user=request.user, risk=risk, pk=row_pk)
        row.risk = risk
        return access, risk, row

    def _retrieve(self, request, pk, row_pk):
        access, risk, row = self._row(request, pk, row_pk)
        [row], context = self.withhold([row], access=access, risk=risk)
        return _answer(self.row_serializer(row, context=context))

    def _update(self, request, pk, row_pk):
        access, risk, row = self._row(request, pk, row_pk)
        may_write(
            request,
            access,
            risk,
            allowed=self.may_change(access, row),
            refusal=self.may_not_change,
        )
        given = if_match(request, version=row.version, noun=self.noun)
        patch = posted_fields(request, allowed=self.fields, noun=self.noun)
        if not patch:
            raise ValidationError({"non_field_errors": [NOTHING_TO_CHANGE]})
        form_class, names = self.changeable(access, risk, patch)
        organisation = access.organisation
        keep = [row.owner_id]
        data = _current(row, names) | patch
        if "owner" in patch:
            data["owner"] = owner_by_email(
                organisation, patch["owner"], nouns=self.nouns, keep=keep
            )
        form = form_class(data, organisation=organisation, keep=keep)
        if not form.is_valid():
            raise form_errors(form)
        try:
            row = self.service_update(
                **{self.noun: row},
                expected_version=given,
                reason=reason(request),
                **{name: form.cleaned_data[name] for name in patch},
            )
        except TreatmentConflict as conflict:
            raise stale(self.noun, given, conflict.current.version) from conflict
        except DjangoValidationError as error:
            raise service_errors(form, error) from error
        return _answer(self.row_serializer(row))


class ControlViewSet(TreatmentViewSet):
    """A risk's controls."""

    model = Control
    form_class = ControlForm
    row_serializer = ControlSerializer
    fields = CONTROL_FIELDS
    defaults = {"effectiveness": Effectiveness.NOT_ASSESSED, "assurance": ""}
    noun, nouns = "control", "controls"
    may_not_add = MAY_NOT_ADD_CONTROLS
    may_not_change = MAY_NOT_CHANGE_CONTROL
    service_add = staticmethod(control_add)
    service_update = staticmethod(control_update)

    def find(self, *, user, risk, pk):
        return control_for_user(user=user, risk=risk, pk=pk)

    def may_change(self, access, row) -> bool:
        return access.can_update_control(row)

    @extend_schema(responses=ControlSerializer(many=True))
    def list(self, request, pk=None):
        """The risk's controls in the page's order; a risk you are not cleared for lists them
        with their text withheld."""
        return self._list(request, pk)

    @extend_schema(request=ControlWriteSerializer, responses={201: ControlSerializer})
    def create(self, request, pk=None):
        """Add a control (whoever may edit the risk); its ETag is in the answer."""
        return self._create(request, pk)

    @extend_schema(responses=ControlSerializer)
    def retrieve(self, request, pk=None, control_pk=None):
        """One control, with its ETag (its version) for a PATCH's If-Match."""
        return self._retrieve(request, pk, control_pk)

    @extend_schema(
        request=ControlWriteSerializer, responses=ControlSerializer, parameters=[IF_MATCH]
    )
    def partial_update(self, request, pk=None, control_pk=None):
        """Change a control: If-Match with its ETag (stale or missing: 412)."""
        return self._update(request, pk, control_pk)


class ActionViewSet(TreatmentViewSet):
    """A risk's mitigating actions."""

    model = Action
    form_class = ActionForm
    row_serializer = ActionSerializer
    fields = ACTION_FIELDS
    defaults = {
        "status": ActionStatus.NOT_STARTED,
        "due_date": "",
        "priority": "",
        "difficulty": "",
        "progress_note": "",
    }
    noun, nouns = "action", "actions"
    may_not_add = MAY_NOT_ADD_ACTIONS
    may_not_change = MAY_NOT_UPDATE_ACTION
    service_add = staticmethod(action_add)
    service_update = staticmethod(action_update)

    def find(self, *, user, risk, pk):
        return action_for_user(user=user, risk=risk, pk=pk)

    def may_change(self, access, row) -> bool:
        return access.can_update_action(row)

    def withhold(self, rows, *, access, risk) -> tuple[list, dict]:
        return withhold_actions(rows, access=access), {}

    def changeable(self, access, risk, patch) -> tuple[type, tuple[str, ...]]:
        """Whoever may edit the risk changes every field; the action's owner only its status
        and progress note, as on the risk page."""
        if access.can_edit_risk(risk):
            return ActionForm, ACTION_FIELDS
        beyond = sorted(set(patch) - ACTION_OWNER_FIELDS)
        if beyond:
            raise PermissionDenied(ACTION_OWNER_ONLY.format(fields=", ".join(beyond)))
        return ActionProgressForm, tuple(sorted(ACTION_OWNER_FIELDS))

    @extend_schema(responses=ActionSerializer(many=True))
    def list(self, request, pk=None):
        """The risk's actions in the page's order; a risk you are not cleared for lists them
        with their text withheld."""
        return self._list(request, pk)

    @extend_schema(request=ActionWriteSerializer, responses={201: ActionSerializer})
    def create(self, request, pk=None):
        """Add an action (whoever may edit the risk); its ETag is in the answer."""
        return self._create(request, pk)

    @extend_schema(responses=ActionSerializer)
    def retrieve(self, request, pk=None, action_pk=None):
        """One action, with its ETag (its version) for a PATCH's If-Match."""
        return self._retrieve(request, pk, action_pk)

    @extend_schema(request=ActionWriteSerializer, responses=ActionSerializer, parameters=[IF_MATCH])
    def partial_update(self, request, pk=None, action_pk=None):
        """Change an action: If-Match with its ETag (stale or missing: 412). Whoever may edit
        the risk changes every field; the action's owner only its status and progress note, as
        on the risk page."""
        return self._update(request, pk, action_pk)
