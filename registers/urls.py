from .views import browse, editing, members, treatments, work

urlpatterns = [
    *browse.urlpatterns,
    *editing.urlpatterns,
    *treatments.urlpatterns,
    *members.urlpatterns,
    *work.urlpatterns,
]
