"""/api/v1/risks/<pk>/reviews/: a risk's reviews, and a review recorded through
``review_record`` as the review page records it, sign-off and all: on a register that requires
sign-off, the review of someone who may not sign it off waits for an approver, and the answer
says so (``state`` "submitted", ``awaiting_sign_off``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.response import Response

from registers.forms import ReviewForm
from registers.models import Review, ReviewState
from registers.services.reviews import review_record
from registers.services.risks import RiskConflict, scheme_version_for_register

from .access import api_risk
from .children import (
    NewestFirstPagination,
    form_errors,
    if_match,
    may_write,
    posted_fields,
    reason,
    service_errors,
    stale,
)
from .serializers_children import ReviewRecordedSerializer, ReviewSerializer, ReviewWriteSerializer

# The updates that reached the risk and the one awaiting sign-off; sent-back and withdrawn ones
# are between the owner and the approver (the page shows them only to those two).
LISTED_STATES = (ReviewState.RECORDED, ReviewState.SIGNED_OFF, ReviewState.SUBMITTED)
REVIEW_FIELDS = ("outcome", "note", "reviewed_on", "current_likelihood", "current_impact")
MAY_NOT_REVIEW = "You may not review this risk."


class ReviewViewSet(viewsets.ViewSet):
    """A risk's reviews, newest first."""

    pagination_class = NewestFirstPagination

    @extend_schema(responses=ReviewSerializer(many=True))
    def list(self, request, pk=None):
        """Recorded and signed-off reviews and the one awaiting sign-off, newest first."""
        access, risk = api_risk(request, pk)
        paginator = self.pagination_class()
        reviews = Review.objects.filter(risk=risk, state__in=LISTED_STATES).select_related(
            "reviewed_by"
        )
        page = paginator.paginate_queryset(reviews, request, view=self)
        context = {"withheld": not access.can_see_sensitive(risk)}
        return paginator.get_paginated_response(
            ReviewSerializer(page, many=True, context=context).data
        )

    @extend_schema(
        request=ReviewWriteSerializer,
        responses={201: ReviewRecordedSerializer},
        parameters=[
            OpenApiParameter(
                "If-Match",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="The risk's ETag from your last GET of it: a review confirms what "
                "you read, so a stale one is refused with 412.",
            )
        ],
    )
    def create(self, request, pk=None):
        """Record a review: no change (with a note) or a re-score of the current rating, with
        the risk's ETag as If-Match. Where the register requires sign-off and you may not sign
        off, it awaits sign-off (state "submitted") and the risk is unchanged."""
        access, risk = api_risk(request, pk)
        may_write(
            request, access, risk, allowed=access.can_review_risk(risk), refusal=MAY_NOT_REVIEW
        )
        version = if_match(request, version=risk.version, noun="risk")
        data = posted_fields(request, allowed=REVIEW_FIELDS, noun="review")
        rescoring = "current_likelihood" in data or "current_impact" in data
        data.setdefault("outcome", ReviewForm.RESCORE if rescoring else ReviewForm.UNCHANGED)
        data["version"] = str(version)
        form = ReviewForm(
            data,
            scheme=scheme_version_for_register(risk.register).parsed,
            current=(risk.current_likelihood, risk.current_impact),
        )
        if not form.is_valid():
            raise form_errors(form)
        cleaned = form.cleaned_data
        rescore = cleaned["outcome"] == ReviewForm.RESCORE
        try:
            review = review_record(
                risk=risk,
                user=request.user,
                expected_version=version,
                note=cleaned["note"],
                positions=form.position_values() if rescore else None,
                reviewed_on=cleaned["reviewed_on"],
                via=reason(request),
            )
        except RiskConflict as conflict:
            raise stale("risk", version, conflict.risk.version) from conflict
        except DjangoValidationError as error:
            raise service_errors(form, error) from error
        return Response(ReviewRecordedSerializer(review).data, status=status.HTTP_201_CREATED)
