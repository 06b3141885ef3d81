import json
import sys

from django.core.management.base import BaseCommand, CommandError

from riskreg.snapshots import FORMAT, snapshot_differences, snapshot_summary, state_snapshot


class Command(BaseCommand):
    help = (
        "Save the database's row counts and a checksum of every register's export (--save), or "
        "compare the database with a saved snapshot after a recovery (--against): prints "
        "'restored exactly: ...' or every difference, and exits 1 if there is one."
    )

    def add_arguments(self, parser):
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--save", metavar="FILE.json", help="write a snapshot ('-': stdout)")
        what.add_argument("--against", metavar="FILE.json", help="compare ('-': stdin)")

    def handle(self, *args, **options):
        if options["save"]:
            text = json.dumps(state_snapshot(), indent=1, sort_keys=True) + "\n"
            if options["save"] == "-":
                sys.stdout.write(text)
                return
            try:
                with open(options["save"], "w", encoding="utf-8") as handle:
                    handle.write(text)
            except OSError as exc:
                raise CommandError(f"--save {options['save']}: {exc.strerror}") from None
            self.stdout.write(f"snapshot saved to {options['save']}")
            return
        saved = self._read(options["against"])
        differences = snapshot_differences(saved, state_snapshot())
        if differences:
            for line in differences:
                self.stderr.write(line)
            raise CommandError(
                f"NOT restored exactly: {len(differences)} difference"
                f"{'s' if len(differences) != 1 else ''} from the snapshot"
            )
        self.stdout.write(snapshot_summary(saved))

    def _read(self, name: str) -> dict:
        try:
            if name == "-":
                saved = json.load(sys.stdin)
            else:
                with open(name, encoding="utf-8") as handle:
                    saved = json.load(handle)
        except OSError as exc:
            raise CommandError(f"--against {name}: {exc.strerror}") from None
        except ValueError:
            raise CommandError(f"--against {name}: not a snapshot (not JSON)") from None
        if not isinstance(saved, dict) or saved.get("format") != FORMAT:
            raise CommandError(
                f"--against {name}: not a snapshot (no format {FORMAT!r}); save one with "
                "restore_check --save or restore_point --snapshot"
            )
        return saved
