from django.core.management.base import BaseCommand, CommandError

from registers import caching


class Command(BaseCommand):
    help = (
        "Drop every page figure kept in the cache (the dashboards' overviews, the exposure by "
        "quarter, the header's unread counts): after a point-in-time restore, or data changed "
        "in the shell or the database. Every migrate does the same."
    )

    def handle(self, *args, **options):
        try:
            caching.forget_everything()
        except Exception as exc:  # noqa: BLE001 - any cache backend's error, named below
            raise CommandError(
                f"the cache could not be reached ({type(exc).__name__}: {exc}); nothing was "
                "dropped: run this again once it can"
            ) from None
        self.stdout.write("cached pages dropped: every page counts afresh on its next view")
