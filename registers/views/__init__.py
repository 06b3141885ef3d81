"""Views, one module per area; each module exports its own ``urlpatterns`` (see registers/urls.py)."""
