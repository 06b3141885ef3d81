from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from registers.services.organisations import organisation_create
from riskreg.commands import validation_message
from scoring.definition import SchemeError, load_scheme_file


class Command(BaseCommand):
    help = (
        "Create an organisation with its top register (slug 'corporate'), its scoring scheme "
        "(the file given, or a plain 5x5) and the Orange Book appetite levels."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="short lower-case name used in URLs, e.g. espo")
        parser.add_argument("--name", required=True, help="full name of the organisation")
        parser.add_argument("--scheme", help="scoring scheme file (JSON) to make the default")
        parser.add_argument(
            "--appetite",
            choices=["orange_book", "aberdeen"],
            default="orange_book",
            help="preset appetite levels",
        )

    def handle(self, *args, **options):
        definition = None
        if options["scheme"]:
            try:
                definition = load_scheme_file(options["scheme"])
            except SchemeError as exc:
                raise CommandError(
                    "scheme rejected, nothing created:\n  " + "\n  ".join(exc.problems)
                ) from None
        try:
            organisation = organisation_create(
                slug=options["slug"],
                name=options["name"],
                scheme=definition,
                appetite_preset=options["appetite"],
            )
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from None
        self.stdout.write(
            f"created organisation {organisation.slug} ({organisation.name}) "
            f"with register 'corporate'"
        )
