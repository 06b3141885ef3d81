"""``seed_demo``: the five source organisations (``demo.seeding``), then their report packs
(``demo.packs``)."""

from django.core.management.base import BaseCommand

from demo.packs import DemoPacksUnqueued, demo_packs_in_process, demo_packs_request
from demo.seeding import SEED_ORGANISATIONS, demo_password, seed_demo, sensitive_demo_risks
from reporting.models import Pack, PackStatus


class Command(BaseCommand):
    help = (
        "Load the five source organisations (mopac, met, wmp, aberdeen, espo) with their risks, "
        "schemes, appetite and demo users, and their quarterly and committee packs as at the "
        "date of each source. Safe to run again: it adds only what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="do not print the logins")
        parser.add_argument(
            "--no-packs",
            action="store_true",
            help="do not build or queue the demo's report packs",
        )

    def handle(self, *args, **options):
        report = seed_demo()
        created = ", ".join(report.organisations_created) or "none (already loaded)"
        self.stdout.write(
            f"organisations created: {created}; risks created: {report.risks_created}"
        )
        self.stdout.write(f"organisations available: {', '.join(SEED_ORGANISATIONS)}")
        if not options["no_packs"]:
            self._packs()
        if options["quiet_logins"]:
            return
        self.stdout.write(f"\nDemo logins (password for all: {demo_password()}):")
        width = max(len(email) for _, _, email, _ in report.logins)
        for organisation, role, email, clearance in report.logins:
            self.stdout.write(f"  {organisation:<12} {role:<14} {email:<{width}}  {clearance}")
        for line in sensitive_demo_risks():
            self.stdout.write(line)

    def _packs(self) -> None:
        in_process = demo_packs_in_process()
        if in_process:
            self.stdout.write(
                "building the public editions of the demo's report packs in-process (ten "
                "PDFs, the first run only; --no-packs skips them)..."
            )
        try:
            requested = demo_packs_request(in_process=in_process)
        except DemoPacksUnqueued as unqueued:
            self.stderr.write(
                "The queue that builds packs (CELERY_BROKER_URL) does not answer: "
                f"{len(unqueued.requested) - 1} pack(s) queued, the rest not. Start Redis and "
                "run seed_demo again, or retry them on the Reports page."
            )
            return
        if not in_process:
            self.stdout.write(
                f"report packs queued: {len(requested)} (the worker builds them; "
                "each organisation's Reports page shows them)"
            )
            return
        statuses = Pack.objects.filter(pk__in=[pack.pk for pack in requested]).values_list(
            "status", flat=True
        )
        failed = sum(status == PackStatus.FAILED for status in statuses)
        self.stdout.write(f"report packs built: {len(requested) - failed}")
        if failed:
            self.stderr.write(
                f"{failed} pack(s) failed to build: the reason is on each organisation's "
                "Reports page, with Retry."
            )
