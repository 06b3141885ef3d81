from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("o/<slug:org>/", views.organisation_detail, name="organisation"),
    path("o/<slug:org>/registers/<slug:register>/", views.register_detail, name="register"),
    path("o/<slug:org>/risks/<str:ref>/", views.risk_detail, name="risk"),
]
