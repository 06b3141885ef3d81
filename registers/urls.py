from .views import browse, editing, members, work

urlpatterns = [
    *browse.urlpatterns,
    *editing.urlpatterns,
    *members.urlpatterns,
    *work.urlpatterns,
]
