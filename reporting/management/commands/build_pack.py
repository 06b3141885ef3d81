"""build_pack --org SLUG --kind (quarterly|committee) --as-of YYYY-MM-DD --out FILE.(pdf|docx)
[--edition full|public] [--register SLUG ...]: the same code the Celery task and the web button
run. An --out ending in .docx writes the Word edition of the same pack. Without --register the
pack covers what a pack covers by default (the registers chosen for the organisation's packs,
else its top-level ones); each --register names one of the organisation's registers in use, as
the web form offers them. The
last line names the file, its pages and size, and its SHA-256 (to compare with a copy)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from registers.calendar import as_of_day_check, organisation_today
from registers.models import Organisation, Register
from reporting.packs.data import PackDataError, parse_day
from reporting.packs.docx import pack_render_docx
from reporting.packs.services import pack_as_of_check, pack_render


class Command(BaseCommand):
    help = (
        "Build a quarterly or committee pack as at a date and write it to a file: the PDF, or "
        "the Word edition when --out ends in .docx."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Organisation slug")
        parser.add_argument("--kind", required=True, choices=["quarterly", "committee"])
        parser.add_argument("--as-of", required=True, dest="as_of", help="YYYY-MM-DD")
        parser.add_argument(
            "--out", required=True, help="Where to write the pack: FILE.pdf or FILE.docx (Word)"
        )
        parser.add_argument("--edition", default="full", choices=["full", "public"])
        parser.add_argument(
            "--register",
            action="append",
            dest="registers",
            metavar="SLUG",
            help="A register the pack covers (repeat for more); default: the registers chosen "
            "for the organisation's packs, else its top-level registers",
        )

    def handle(self, *args, **options):
        suffix = Path(options["out"]).suffix.lower()
        if suffix not in (".pdf", ".docx"):  # before anything is read or built
            raise CommandError(
                f"--out {options['out']}: the file name must end in .pdf (the PDF pack) or "
                ".docx (its Word edition)"
            )
        organisation = Organisation.objects.filter(slug=options["org"]).first()
        if organisation is None:
            raise CommandError(f"No organisation with slug {options['org']!r}")
        try:
            as_of = parse_day(options["as_of"])
        except PackDataError as error:
            raise CommandError(str(error)) from None
        if as_of > organisation_today(organisation):
            raise CommandError(f"{as_of} is in the future: a pack shows the registers as they were")
        try:
            as_of_day_check(as_of)
        except ValueError as error:
            raise CommandError(f"--as-of {as_of}: {error}") from None
        try:  # not before the organisation's records begin (decision 143)
            pack_as_of_check(organisation=organisation, as_of=as_of)
        except ValidationError as error:
            raise CommandError(f"--as-of {as_of}: {' '.join(error.messages)}") from None
        out = Path(options["out"])
        if not out.parent.exists():
            raise CommandError(f"The folder {out.parent} does not exist")
        options["registers"] = self._registers(organisation, options["registers"])
        if suffix == ".docx":
            self._write_docx(organisation, as_of, out, options)
            return
        try:
            rendered = pack_render(
                organisation=organisation,
                kind=options["kind"],
                as_of=as_of,
                edition=options["edition"],
                registers=options["registers"],
            )
        except PackDataError as error:
            raise CommandError(str(error)) from None
        except Exception as error:  # noqa: BLE001  a readable message, not a traceback
            raise CommandError(
                f"The pack could not be built: {type(error).__name__}: {error}"
            ) from error
        out.write_bytes(rendered.pdf)
        self.stdout.write(
            f"wrote {out} ({rendered.pages} pages, {len(rendered.pdf)} bytes, "
            f"SHA-256 {hashlib.sha256(rendered.pdf).hexdigest()})"
        )

    @staticmethod
    def _registers(organisation, slugs: list[str] | None) -> list[Register] | None:
        """The registers named, each the organisation's and in use (as the web form offers
        them); None when none is named: the pack's own default (``pack_data``)."""
        if not slugs:
            return None
        in_use = {
            register.slug: register
            for register in Register.objects.filter(
                organisation=organisation, archived_at__isnull=True, slug__in=slugs
            )
        }
        unknown = [slug for slug in slugs if slug not in in_use]
        if unknown:
            raise CommandError(
                f"--register {', '.join(unknown)}: no register in use of {organisation.slug} "
                "has that address"
            )
        return list(dict.fromkeys(in_use[slug] for slug in slugs))

    def _write_docx(self, organisation, as_of, out: Path, options) -> None:
        try:
            content = pack_render_docx(
                organisation=organisation,
                kind=options["kind"],
                as_of=as_of,
                edition=options["edition"],
                registers=options["registers"],
            )
        except PackDataError as error:
            raise CommandError(str(error)) from None
        except Exception as error:  # noqa: BLE001  a readable message, not a traceback
            raise CommandError(
                f"The Word edition could not be built: {type(error).__name__}: {error}"
            ) from error
        out.write_bytes(content)
        self.stdout.write(
            f"wrote {out} (Word edition, {len(content)} bytes, "
            f"SHA-256 {hashlib.sha256(content).hexdigest()})"
        )
