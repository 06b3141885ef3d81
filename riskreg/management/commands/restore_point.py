import json
import sys

from django.core.management.base import BaseCommand, CommandError

from riskreg.backups import RestorePointNotTaken, restore_point_create
from riskreg.snapshots import state_snapshot


class Command(BaseCommand):
    help = (
        "Take a named restore point in PostgreSQL's WAL before risky work, so a point-in-time "
        "recovery can stop exactly there (recovery_target_name). --snapshot also saves the row "
        "counts and export checksums that restore_check compares after such a recovery."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="a name used once, e.g. before-cleanup-2026-11-20")
        parser.add_argument("--reason", default="taken by hand", help="logged with the point")
        parser.add_argument(
            "--snapshot",
            metavar="FILE.json",
            help="save the snapshot there ('-': standard output, the messages go to stderr)",
        )

    def handle(self, *args, **options):
        to_stdout = options["snapshot"] == "-"
        say = self.stderr if to_stdout else self.stdout
        # The snapshot first: the point then follows every change it counts (with nothing
        # else writing in between, the two describe the same moment).
        snapshot = state_snapshot() if options["snapshot"] else None
        try:
            point = restore_point_create(
                name=options["name"], reason=options["reason"], required=True
            )
        except RestorePointNotTaken as exc:
            raise CommandError(f"restore point {options['name']} not taken: {exc}") from None
        say.write(
            f"restore point {point.name} at {point.lsn} (WAL file {point.wal_file}), "
            f"{point.created_at.isoformat()}"
        )
        if snapshot is None:
            return
        snapshot["restore_point"] = point.as_dict()
        text = json.dumps(snapshot, indent=1, sort_keys=True) + "\n"
        if to_stdout:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            try:
                with open(options["snapshot"], "w", encoding="utf-8") as handle:
                    handle.write(text)
            except OSError as exc:
                raise CommandError(f"--snapshot {options['snapshot']}: {exc.strerror}") from None
            say.write(f"snapshot saved to {options['snapshot']}")
