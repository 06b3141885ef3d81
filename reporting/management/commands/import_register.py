from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registers.models import Register
from reporting.spreadsheets.importing import ImportRefused, import_apply, import_plan, plan_lines
from reporting.spreadsheets.reading import (
    SpreadsheetError,
    check_filename,
    describe_size,
    max_upload_bytes,
)
from reporting.spreadsheets.values import in_command_words
from riskreg.backups import restore_point_create, restore_point_name
from riskreg.commands import organisation_or_error


class Command(BaseCommand):
    help = (
        "Import a register from an .xlsx or .csv file: every row is checked first, then all rows "
        "are written or none. Problems are printed as 'row N: column: problem' (on a workbook's "
        "controls, actions, indicators and readings sheets, 'readings row N: column: problem')."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the spreadsheet, FILE.xlsx or FILE.csv")
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument(
            "--register",
            required=True,
            help="register slug, e.g. corporate: where rows whose register column is empty go",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check the file and print what would change, without writing anything",
        )
        parser.add_argument(
            "--invite",
            action="store_true",
            help=(
                "invite people given by an e-mail address that is not a member (owner, manager, "
                "working lead, control or action owner) as risk owners; until they accept, their "
                "rows are imported without them. Without it, such an address is a row problem"
            ),
        )

    def handle(self, *args, **options):
        organisation = organisation_or_error(options["org"])
        register = Register.objects.filter(
            organisation=organisation, slug=options["register"]
        ).first()
        if register is None:
            known = ", ".join(
                organisation.registers.order_by("slug").values_list("slug", flat=True)
            )
            raise CommandError(
                f"{organisation.slug} has no register {options['register']!r}; registers: {known}"
            )
        path = Path(options["file"])
        try:
            check_filename(path.name)
        except SpreadsheetError as exc:
            raise CommandError(str(exc)) from None
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        size, limit = path.stat().st_size, max_upload_bytes()
        if size > limit:
            raise CommandError(
                f"{path.name}: the file is {describe_size(size)}; the largest file accepted is "
                f"{describe_size(limit)}; nothing was imported"
            )
        try:
            plan = import_plan(
                register=register,
                data=path.read_bytes(),
                filename=path.name,
                invite=options["invite"],
            )
        except SpreadsheetError as exc:
            raise CommandError(f"{path.name}: {exc}; nothing was imported") from None
        for note in plan.notes:
            self.stdout.write(f"note: {note}")
        if plan.problems:
            for problem in plan.problems:
                self.stderr.write(in_command_words(str(problem)))
            count = len(plan.problems)
            raise CommandError(
                f"{path.name}: {count} problem{'s' if count != 1 else ''} in "
                f"{len(plan.problems_by_row())} row{'s' if len(plan.problems_by_row()) != 1 else ''}; "
                "nothing was imported"
            )
        if options["dry_run"]:
            for line in plan_lines(plan, dry_run=True):
                self.stdout.write(line)
            self.stdout.write(f"dry run, nothing written: would have {plan.summary}")
            return
        reason = f"import_register {path.name} into {organisation.slug}/{register.slug}"
        restore_point_create(name=restore_point_name("import"), reason=reason)
        try:
            import_apply(plan=plan)
        except ImportRefused as exc:
            for problem in exc.problems:
                self.stderr.write(in_command_words(problem))
            raise CommandError(f"{path.name}: nothing was imported; run the import again") from None
        for line in plan_lines(plan):
            self.stdout.write(line)
        self.stdout.write(
            f"imported {path.name} into {organisation.slug}/{register.slug}: {plan.summary}"
        )
