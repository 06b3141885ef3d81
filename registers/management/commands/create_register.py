from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from registers.models import Register, RegisterLevel
from registers.services.organisations import register_create
from riskreg.commands import organisation_or_error, validation_message


class Command(BaseCommand):
    help = "Create a register in an organisation, optionally under a parent register."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="register slug, e.g. business-school")
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument("--name", required=True, help="register name")
        parser.add_argument("--parent", help="slug of the parent register, e.g. corporate")
        parser.add_argument(
            "--level",
            default=RegisterLevel.CORPORATE,
            help=f"one of: {', '.join(RegisterLevel.values)}",
        )
        parser.add_argument("--review-months", type=int, help="review period for its risks")

    def handle(self, *args, **options):
        organisation = organisation_or_error(options["org"])
        if options["level"] not in RegisterLevel.values:
            raise CommandError(
                f"unknown level {options['level']!r}; levels: {', '.join(RegisterLevel.values)}"
            )
        parent = None
        if options["parent"]:
            parent = Register.objects.filter(
                organisation=organisation, slug=options["parent"]
            ).first()
            if parent is None:
                raise CommandError(f"{organisation.slug} has no register {options['parent']!r}")
        try:
            register = register_create(
                organisation=organisation,
                slug=options["slug"],
                name=options["name"],
                level=options["level"],
                parent=parent,
                review_months=options["review_months"],
            )
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from None
        where = f" under {parent.slug}" if parent else ""
        self.stdout.write(f"created register {register.slug} in {organisation.slug}{where}")
