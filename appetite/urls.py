from django.urls import path

from . import views

urlpatterns = [
    path("o/<slug:org>/appetite/", views.appetite, name="appetite"),
    path("o/<slug:org>/appetite/history/", views.appetite_history, name="appetite_history"),
    path(
        "o/<slug:org>/appetite/statements/new/",
        views.statement_add,
        name="appetite_statement_add",
    ),
    path(
        "o/<slug:org>/appetite/statements/<int:statement>/",
        views.statement_edit,
        name="appetite_statement_edit",
    ),
    path(
        "o/<slug:org>/appetite/statements/<int:statement>/remove/",
        views.statement_remove,
        name="appetite_statement_remove",
    ),
    path("o/<slug:org>/appetite/levels/", views.levels_edit, name="appetite_levels"),
]
