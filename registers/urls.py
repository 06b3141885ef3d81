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
    settings_home,
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
    *settings_home.urlpatterns,
]
