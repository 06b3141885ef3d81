from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import admin as riskreg_admin  # noqa: F401  registers every model, scoped

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("appetite.urls")),
    path("", include("reporting.urls")),
    path("", include("registers.urls")),
]
