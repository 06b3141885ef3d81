"""/api/v1/risks/<pk>/history/: the risk's history as its page shows it (``registers.history``:
the risk, its controls, actions and reviews, newest first, in the users' words), a page at a
time. Someone not cleared for an OFFICIAL-SENSITIVE risk's detail gets none of it (``withheld``),
as on the page; notes of links to such risks are withheld from everyone else by the same code."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.pagination import PageNumberPagination

from registers.history import risk_history

from .access import api_risk
from .children import withheld_list
from .serializers_children import HistoryEntrySerializer


class HistoryPagination(PageNumberPagination):
    """Pages of the entries, which are read whole (a fixed number of queries) and paged here."""

    page_size = 50
    max_page_size = 500
    page_size_query_param = "page_size"


class HistoryViewSet(viewsets.ViewSet):
    pagination_class = HistoryPagination

    @extend_schema(responses=HistoryEntrySerializer(many=True))
    def list(self, request, pk=None):
        """The risk page's history, newest first, a page at a time (?page=, ?page_size=); none
        ("withheld": true) for a risk whose OFFICIAL-SENSITIVE detail you are not cleared for."""
        access, risk = api_risk(request, pk)
        if not access.can_see_sensitive(risk):
            return withheld_list()
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(risk_history(risk, reader=access), request, view=self)
        return paginator.get_paginated_response(HistoryEntrySerializer(page, many=True).data)
