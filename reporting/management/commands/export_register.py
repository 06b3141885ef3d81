from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registers.models import Register
from reporting.spreadsheets.exporting import (
    FORMATS,
    parse_as_of,
    register_export,
    to_csv,
    to_xlsx,
)
from riskreg.commands import organisation_or_error


class Command(BaseCommand):
    help = (
        "Export a register as .xlsx or .csv, in the import columns plus current_score, "
        "current_band, tolerance, breach and trend; --as-of shows it as it stood then."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument("--register", required=True, help="register slug, e.g. corporate")
        parser.add_argument("--format", required=True, choices=FORMATS, help="xlsx or csv")
        parser.add_argument("--out", help="file to write; without it, CSV goes to standard output")
        parser.add_argument(
            "--as-of",
            help="the register as it stood then: 2026-03-31 (end of that day, UK time) or "
            "2026-03-31T17:00",
        )

    def handle(self, *args, **options):
        organisation = organisation_or_error(options["org"])
        register = (
            Register.objects.filter(organisation=organisation, slug=options["register"])
            .select_related("organisation")
            .first()
        )
        if register is None:
            known = ", ".join(
                organisation.registers.order_by("slug").values_list("slug", flat=True)
            )
            raise CommandError(
                f"{organisation.slug} has no register {options['register']!r}; registers: {known}"
            )
        fmt, out = options["format"], options["out"]
        if fmt == "xlsx" and not out and self.stdout.isatty():
            raise CommandError("an .xlsx workbook is not for a terminal: give --out FILE.xlsx")
        if out and Path(out).suffix.lower() != f".{fmt}":
            raise CommandError(f"--out {out}: the file name should end .{fmt} for --format {fmt}")
        as_of = None
        if options["as_of"]:
            try:
                as_of = parse_as_of(options["as_of"], organisation=organisation)
            except ValueError as exc:
                raise CommandError(f"--as-of: {exc}") from None
        export = register_export(register=register, as_of=as_of)
        data = to_xlsx(export) if fmt == "xlsx" else to_csv(export, bom=bool(out))
        if out:
            path = Path(out)
            if not path.parent.is_dir():
                raise CommandError(f"--out {out}: no such directory {path.parent}")
            path.write_bytes(data)
            self.stdout.write(f"wrote {len(export.rows)} risks to {path}")
        elif fmt == "csv":
            self.stdout.write(data.decode("utf-8"), ending="")
        else:
            stream = getattr(self.stdout._out, "buffer", None)
            if stream is None:
                raise CommandError("an .xlsx workbook needs a binary output: give --out FILE.xlsx")
            self.stdout.flush()
            stream.write(data)
            stream.flush()
