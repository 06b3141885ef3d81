from .views import (
    browse,
    categories,
    editing,
    escalation,
    invitations,
    links,
    members,
    profile,
    registers_admin,
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
    *profile.urlpatterns,
    *registers_admin.urlpatterns,
]
