from django.core.management.base import BaseCommand

from registers.services.seeding import SEED_ORGANISATIONS, demo_password, seed_demo


class Command(BaseCommand):
    help = (
        "Load the five source organisations (mopac, met, wmp, aberdeen, espo) with their risks, "
        "schemes, appetite and demo users. Safe to run again: it adds only what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="do not print the logins")

    def handle(self, *args, **options):
        report = seed_demo()
        created = ", ".join(report.organisations_created) or "none (already loaded)"
        self.stdout.write(
            f"organisations created: {created}; risks created: {report.risks_created}"
        )
        self.stdout.write(f"organisations available: {', '.join(SEED_ORGANISATIONS)}")
        if options["quiet_logins"]:
            return
        self.stdout.write(f"\nDemo logins (password for all: {demo_password()}):")
        for organisation, role, email in report.logins:
            self.stdout.write(f"  {organisation:<12} {role:<14} {email}")
