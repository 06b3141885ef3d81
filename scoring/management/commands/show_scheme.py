import csv

from django.core.management.base import BaseCommand, CommandError

from riskreg.commands import organisation_or_error
from scoring.definition import SchemeError, load_scheme_file
from scoring.engine import grid
from scoring.selectors import default_scheme, scheme_by_name


class Command(BaseCommand):
    help = (
        "Print every cell of a scheme's grid, from a file (to check it before loading) or from an "
        "organisation's stored scheme. CSV columns: likelihood,impact,score,band,display."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="scheme file (JSON)")
        parser.add_argument("--org", help="organisation slug (instead of a file)")
        parser.add_argument("--name", help="scheme name (default: the organisation's default)")
        parser.add_argument("--format", choices=["table", "csv"], default="table")

    def handle(self, *args, **options):
        if bool(options["file"]) == bool(options["org"]):
            raise CommandError("give either a scheme FILE or --org SLUG (not both)")
        if options["file"]:
            try:
                definition = load_scheme_file(options["file"])
            except SchemeError as exc:
                raise CommandError("scheme rejected:\n  " + "\n  ".join(exc.problems)) from None
        else:
            organisation = organisation_or_error(options["org"])
            if options["name"]:
                scheme = scheme_by_name(organisation=organisation, name=options["name"])
                if scheme is None:
                    raise CommandError(
                        f"{organisation.slug} has no scheme named {options['name']!r}"
                    )
            else:
                scheme = default_scheme(organisation=organisation)
                if scheme is None:
                    raise CommandError(f"{organisation.slug} has no default scheme")
            definition = scheme.current_version.parsed
        cells = [
            cell
            for row in reversed(grid(definition))  # lowest likelihood first for reading
            for cell in row
        ]
        if options["format"] == "csv":
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerow(["likelihood", "impact", "score", "band", "display"])
            for cell in cells:
                writer.writerow(
                    [
                        cell.likelihood.value,
                        cell.impact.value,
                        cell.rating.score,
                        cell.rating.band.name,
                        cell.rating.display,
                    ]
                )
            return
        self._table(definition)

    def _table(self, definition):
        rows = grid(definition)

        def text(cell):
            return cell.rating.label

        width = max(len(text(cell)) for row in rows for cell in row)
        label_width = max(len(f"{level.value} {level.label}") for level in definition.likelihood)
        self.stdout.write(
            f"{definition.name} ({definition.method}, notation {definition.notation})"
        )
        header = (
            " " * label_width
            + " | "
            + " | ".join(f"{level.value} {level.code}".ljust(width) for level in definition.impact)
        )
        self.stdout.write("likelihood \\ impact")
        self.stdout.write(header)
        for row in rows:
            level = row[0].likelihood
            cells = " | ".join(text(cell).ljust(width) for cell in row)
            self.stdout.write(f"{level.value} {level.label}".ljust(label_width) + " | " + cells)
        self.stdout.write(
            "bands: "
            + ", ".join(
                f"{band.name}"
                + (f" {band.min}-{band.max}" if band.min is not None else "")
                + (f" review {band.review_months}m" if band.review_months else "")
                for band in definition.bands
            )
        )
