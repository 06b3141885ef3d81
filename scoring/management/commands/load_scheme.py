from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from riskreg.backups import restore_point_create, restore_point_name
from riskreg.commands import organisation_or_error, validation_message
from scoring.definition import SchemeError, load_scheme_file
from scoring.services import scheme_save


class Command(BaseCommand):
    help = (
        "Create an organisation's scoring scheme from a JSON file, or add a version to the scheme "
        "of that name. A file that breaks any rule is rejected whole and nothing is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="scheme file (JSON, the format of DESIGN.md)")
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument("--name", help="scheme name (default: the file's name field)")
        parser.add_argument(
            "--default", action="store_true", help="make it the organisation's default scheme"
        )

    def handle(self, *args, **options):
        organisation = organisation_or_error(options["org"])
        try:
            definition = load_scheme_file(options["file"])
        except SchemeError as exc:
            raise CommandError(
                "scheme rejected, nothing stored:\n  " + "\n  ".join(exc.problems)
            ) from None
        reason = f"load_scheme {options['file']} for {organisation.slug}"
        restore_point_create(name=restore_point_name("load-scheme"), reason=reason)
        try:
            saved = scheme_save(
                organisation=organisation,
                definition=definition,
                name=options["name"],
                make_default=options["default"],
            )
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from None
        if saved.created_scheme:
            what = "created"
        elif saved.created_version:
            what = f"updated to version {saved.version.number}"
        else:
            what = f"unchanged (version {saved.version.number})"
        default = " (default)" if saved.scheme.is_default else ""
        self.stdout.write(f"scheme {saved.scheme.name!r}{default} for {organisation.slug}: {what}")
