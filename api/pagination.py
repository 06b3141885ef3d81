"""Cursor pagination: stable under inserts, one query a page whatever the register's size.
https://www.django-rest-framework.org/api-guide/pagination/#cursorpagination"""

from rest_framework.pagination import CursorPagination


class RiskCursorPagination(CursorPagination):
    page_size = 100
    max_page_size = 500
    page_size_query_param = "page_size"
    ordering = "id"
