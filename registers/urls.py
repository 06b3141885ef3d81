from .views import (
    browse,
    categories,
    editing,
    escalation,
    invitations,
    links,
    members,
    treatments,
    work,
)

urlpatterns = [
    *browse.urlpatterns,
    *editing.urlpatterns,
    *treatments.urlpatterns,
    *members.urlpatterns,
    *invitations.urlpatterns,
    *work.urlpatterns,
    *escalation.urlpatterns,
    *links.urlpatterns,
    *categories.urlpatterns,
]
