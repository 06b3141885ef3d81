from .views import browse, editing, escalation, links, members, treatments, work

urlpatterns = [
    *browse.urlpatterns,
    *editing.urlpatterns,
    *treatments.urlpatterns,
    *members.urlpatterns,
    *work.urlpatterns,
    *escalation.urlpatterns,
    *links.urlpatterns,
]
