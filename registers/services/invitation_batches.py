"""Invitations in bulk: a pasted list or a CSV file of ``email,role`` lines (a header line is
optional), checked row by row, then sent all together or not at all.

``batch_parse`` reads the text (bounded: ``MAX_ROWS`` rows; the form bounds the bytes);
``batch_check`` says what would happen to every row, in a fixed number of queries. Confirming
queues the batch (``invitation_batch_enqueue``): sending hundreds of invitations is slow work,
done by the worker (the ``registers.send_invitation_batch`` task runs ``invitation_batch_run``),
never inside the web request. There ``invitation_batch_send`` checks again, inside the
transaction that sends, and sends nothing if any row is a problem (its sender is then told
which rows and why: ``invitation_batch_refusals``). Each invitation goes out
through ``invitation_send``, so its e-mail is queued after the transaction commits (a
rolled-back batch sends nothing) and each is in the security log."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from kombu.exceptions import OperationalError

from riskreg.celery import task_named

from .. import permissions
from ..models import Invitation, Membership, Organisation, Role
from .invitation_batch_refusals import batch_no_access_tell, batch_rows_changed_tell
from .invitations import EMAIL_MAX_LENGTH, InvitationResult, invitation_send, open_invitations

log = logging.getLogger("riskreg.security")

# The task's registered name (registers/tasks.py): the service and the task meet by it.
SEND_BATCH = "registers.send_invitation_batch"
# How long a confirmed batch's key is remembered, so a second click sends nothing more.
BATCH_KEY_SECONDS = 24 * 60 * 60

MAX_ROWS = 500
# The file (or the pasted text) in bytes: 500 rows of a long address and a role are under 80 KB.
MAX_BYTES = 200 * 1024
HEADER_WORDS = {"email", "e-mail", "email address", "e-mail address"}

BATCH_EMPTY = "Paste the list, one e-mail address and role a line, or choose a CSV file"
BATCH_TOO_MANY = (
    "The list has more than {limit} rows: invite at most {limit} people at a time (split the list)"
)
BATCH_TOO_LARGE = (
    "The list is larger than {kb} KB, far more than {limit} invitations need: check you chose "
    "the right file"
)
BATCH_NOT_TEXT = (
    "The file is not a CSV text file: save it from your spreadsheet as CSV (UTF-8) and choose it "
    "again"
)
BATCH_UNREADABLE = "Line {line} cannot be read as CSV ({problem}): check its quotes"
BATCH_ALREADY_QUEUED = (
    "This list has already been sent: its invitations appear under Invitations as they go out"
)
BATCH_HAS_PROBLEMS = (
    "Nothing was sent: {count} row{plural} of the list need{verb} changing first (see below)"
)

ROW_COLUMNS = "Row {line}: put an e-mail address and a role, separated by a comma"
ROW_BAD_EMAIL = "Row {line}: {email!r} is not a valid e-mail address"
ROW_EMAIL_TOO_LONG = (
    "Row {line}: the e-mail address is {length} characters long; an e-mail address has at most "
    "{limit}"
)
ROW_NOT_SENT = "Row {line}: {problem}"
ROW_NO_ROLE = "Row {line}: add a role ({roles})"
ROW_UNKNOWN_ROLE = "Row {line}: {role!r} is not a role; use one of {roles}"
ROW_ROLE_NOT_YOURS = "Row {line}: you cannot invite people as {role}; you can invite {roles}"
ROW_DUPLICATE = "Row {line}: {email} is also on row {first}"
ROW_MEMBER = "Row {line}: {email} is already a member of {organisation}"
ROW_INVITED_AS_OTHER_ROLE = (
    "Row {line}: {email} has already been invited as {role}; only an organisation admin can "
    "change that invitation"
)

# Whether an address has an account (here or in any organisation) is not an outcome: every
# address is invited, and saying which have accounts would tell one organisation about another's
# people (decision 113).
INVITE = "invite"
RESEND = "resend"
PROBLEM = "problem"
OUTCOMES = {
    INVITE: "Will be invited",
    RESEND: "Already invited: will be sent again",
    PROBLEM: "Problem",
}


@dataclass(frozen=True)
class ParsedRow:
    line: int  # the line of the pasted text or file, as an editor numbers it
    email: str
    role: str  # as typed
    columns: int = 2  # how many the line had (anything but two is the row's problem)


@dataclass(frozen=True)
class CheckedRow:
    line: int
    email: str
    role: str  # a role's value when known, else as typed
    outcome: str
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome != PROBLEM

    @property
    def outcome_text(self) -> str:
        return OUTCOMES[self.outcome]

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role in Role.values else self.role


def _is_header(cells: list[str]) -> bool:
    return bool(cells) and cells[0].strip().lower() in HEADER_WORDS


def batch_parse(text: str) -> list[ParsedRow]:
    """The rows of a pasted list or CSV file. Blank lines are skipped; a first line naming the
    columns (``email,role``) is a header. Columns are separated by commas, or by tabs when
    pasted from a spreadsheet. Refuses (ValidationError) an empty list, more than ``MAX_ROWS``
    rows, or text that is not CSV; a row's own problems are ``batch_check``'s."""
    if len(text.encode()) > MAX_BYTES:
        raise ValidationError(BATCH_TOO_LARGE.format(kb=MAX_BYTES // 1024, limit=MAX_ROWS))
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[ParsedRow] = []
    seen_any = False
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if not seen_any:
                seen_any = True
                if _is_header(cells):
                    continue
            if len(rows) == MAX_ROWS:
                raise ValidationError(BATCH_TOO_MANY.format(limit=MAX_ROWS))
            cells = [cell.strip() for cell in cells]
            while len(cells) > 2 and not cells[-1]:
                cells.pop()  # trailing empty columns from a spreadsheet
            rows.append(
                ParsedRow(
                    line=reader.line_num,
                    email=cells[0],
                    role=cells[1] if len(cells) > 1 else "",
                    columns=len(cells),
                )
            )
    except csv.Error as error:
        raise ValidationError(
            BATCH_UNREADABLE.format(line=reader.line_num, problem=error)
        ) from None
    if not rows:
        raise ValidationError(BATCH_EMPTY)
    return rows


def batch_text(rows: Iterable[ParsedRow]) -> str:
    """The rows as a CSV text ``batch_parse`` reads back the same (the confirm step's copy)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["email", "role"])
    for row in rows:
        writer.writerow([row.email, row.role])
    return out.getvalue()


def _role_value(typed: str) -> str | None:
    typed = typed.strip().lower()
    for value, label in Role.choices:
        if typed in (value, label.lower()):
            return value
    return None


def _roles_text(roles: Iterable[str]) -> str:
    return ", ".join(value for value in Role.values if value in roles)


def batch_check(
    *, organisation: Organisation, rows: list[ParsedRow], allowed_roles: frozenset[str]
) -> list[CheckedRow]:
    """What sending would do to each row. Two queries, however long the list; none asks
    whether an address has an account."""
    emails = {row.email.strip().lower() for row in rows if row.email}
    members = set(
        Membership.objects.filter(organisation=organisation)
        .annotate(address=Lower("user__email"))
        .filter(address__in=emails)
        .values_list("address", flat=True)
    )
    invited = {
        invitation.email: invitation
        for invitation in open_invitations(organisation).filter(email__in=emails)
    }
    first_line: dict[str, int] = {}
    checked = []
    for row in rows:
        email = row.email.strip().lower()
        role = _role_value(row.role) or row.role

        def problem(message: str, email=email, role=role, row=row) -> CheckedRow:
            return CheckedRow(row.line, email, role, PROBLEM, message)

        if row.columns != 2:
            checked.append(problem(ROW_COLUMNS.format(line=row.line)))
            continue
        if len(email) > EMAIL_MAX_LENGTH:
            # Django's format check lets through up to 320 characters; the column holds 254.
            checked.append(
                problem(
                    ROW_EMAIL_TOO_LONG.format(
                        line=row.line, length=len(email), limit=EMAIL_MAX_LENGTH
                    )
                )
            )
            continue
        try:
            validate_email(email)
        except ValidationError:
            checked.append(problem(ROW_BAD_EMAIL.format(line=row.line, email=row.email)))
            continue
        if email in first_line:
            checked.append(
                problem(ROW_DUPLICATE.format(line=row.line, email=email, first=first_line[email]))
            )
            continue
        first_line[email] = row.line
        if not row.role:
            checked.append(
                problem(ROW_NO_ROLE.format(line=row.line, roles=_roles_text(allowed_roles)))
            )
        elif role not in Role.values:
            checked.append(
                problem(
                    ROW_UNKNOWN_ROLE.format(
                        line=row.line, role=row.role, roles=_roles_text(allowed_roles)
                    )
                )
            )
        elif role not in allowed_roles:
            checked.append(
                problem(
                    ROW_ROLE_NOT_YOURS.format(
                        line=row.line,
                        role=Role(role).label.lower(),
                        roles=_roles_text(allowed_roles),
                    )
                )
            )
        elif email in members:
            checked.append(
                problem(
                    ROW_MEMBER.format(
                        line=row.line, email=email, organisation=organisation.display_name
                    )
                )
            )
        elif email in invited and invited[email].role not in allowed_roles:
            checked.append(
                problem(
                    ROW_INVITED_AS_OTHER_ROLE.format(
                        line=row.line,
                        email=email,
                        role=invited[email].get_role_display().lower(),
                    )
                )
            )
        elif email in invited:
            checked.append(CheckedRow(row.line, email, role, RESEND))
        else:
            checked.append(CheckedRow(row.line, email, role, INVITE))
    return checked


def problem_lines(checked: Sequence[CheckedRow]) -> list[str]:
    """One line a row that cannot be sent: ``batch_check``'s words (which name the row), and
    the address where they do not already name it."""
    lines = []
    for row in checked:
        if row.ok:
            continue
        named = not row.email or row.email in row.problem.lower()
        lines.append(row.problem if named else f"{row.problem} ({row.email})")
    return lines


def batch_problems_message(checked: list[CheckedRow]) -> str:
    count = sum(1 for row in checked if not row.ok)
    return BATCH_HAS_PROBLEMS.format(
        count=count, plural="" if count == 1 else "s", verb="s" if count == 1 else ""
    )


@transaction.atomic
def invitation_batch_send(
    *,
    organisation: Organisation,
    rows: list[ParsedRow],
    allowed_roles: frozenset[str],
    invited_by=None,
) -> tuple[list[CheckedRow], list[InvitationResult]]:
    """Send every row's invitation, or nothing: checked again here, and if any row is a problem
    nothing is sent and no result is returned. A row the invitation service refuses (someone
    invited the same address a moment ago) undoes the whole batch: ValidationError, its
    messages naming the row and address (``ROW_NOT_SENT``)."""
    checked = batch_check(organisation=organisation, rows=rows, allowed_roles=allowed_roles)
    if not all(row.ok for row in checked):
        return checked, []
    results = [_send_row(organisation, row, invited_by) for row in checked]
    log.info(
        "invitations sent in bulk: organisation=%s rows=%s by=%s",
        organisation.slug,
        len(results),
        invited_by.pk if invited_by else "command",
    )
    return checked, results


def _send_row(organisation: Organisation, row: CheckedRow, invited_by) -> InvitationResult:
    try:
        return invitation_send(
            organisation=organisation, email=row.email, role=row.role, invited_by=invited_by
        )
    except ValidationError as error:
        raise ValidationError(
            [
                ROW_NOT_SENT.format(line=row.line, problem=message)
                + ("" if row.email in message.lower() else f" ({row.email})")
                for message in error.messages
            ]
        ) from None


def _batch_key(organisation: Organisation, key: str) -> str:
    return f"invitation-batch:{organisation.pk}:{key}"


def invitation_batch_was_queued(*, organisation: Organisation, key: str) -> bool:
    return cache.get(_batch_key(organisation, key)) is not None


def invitation_batch_enqueue(
    *, organisation: Organisation, rows: list[CheckedRow], invited_by, key: str
) -> bool:
    """Queue the checked rows to be sent by the worker, once the current transaction commits;
    False (nothing queued) if the batch with this ``key`` (the preview's) was queued already:
    a second click on the send button, or the browser sending the form again."""
    if not cache.add(_batch_key(organisation, key), True, BATCH_KEY_SECONDS):
        return False
    kwargs = {
        "organisation_id": organisation.pk,
        "invited_by_id": invited_by.pk,
        "rows": [[row.line, row.email, row.role] for row in rows],
        "confirmed_at": timezone.now().isoformat(),
    }
    transaction.on_commit(lambda: _queue(kwargs))
    log.info(
        "invitations queued in bulk: organisation=%s rows=%s by=%s",
        organisation.slug,
        len(rows),
        invited_by.pk,
    )
    return True


def _queue(kwargs: dict) -> None:
    try:
        task_named(SEND_BATCH).apply_async(kwargs=kwargs)
    except OperationalError:
        # The broker cannot take it: send now rather than lose the batch (as riskreg.mail does).
        log.warning("task queue unreachable: sending %s invitations at once", len(kwargs["rows"]))
        invitation_batch_run(**kwargs)


def _sent_since(organisation: Organisation, user, emails: list[str], since: datetime) -> bool:
    """Whether this batch has gone out already (every row invited by this person since it was
    confirmed, accepted since or not): a task run twice sends nothing the second time."""
    invited = set(
        Invitation.objects.filter(
            organisation=organisation, email__in=emails, invited_by=user, sent_at__gte=since
        ).values_list("email", flat=True)
    )
    return bool(emails) and set(emails) <= invited


def invitation_batch_run(
    *, organisation_id: int, invited_by_id: int, rows: list, confirmed_at: str
) -> int:
    """What the worker runs for a confirmed batch: the rows are checked again with the roles
    the person may invite today, then sent. Nothing is sent if they are no longer a member or
    may no longer invite, or if any row has become a problem since the preview (or while it
    was being sent); then it is logged and they are e-mailed why (``invitation_batch_refusals``).
    Returns how many rows were sent (0 when nothing was)."""
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    user = get_user_model().objects.filter(pk=invited_by_id).first()
    parsed = [ParsedRow(line=line, email=email, role=role) for line, email, role in rows]
    # Before anything else: a batch run again after it went out (whatever has changed since,
    # the sender's access included) sends nothing and tells nobody it failed.
    if (
        organisation is not None
        and user is not None
        and _sent_since(
            organisation, user, [row.email for row in parsed], parse_datetime(confirmed_at)
        )
    ):
        return 0
    membership = (
        Membership.objects.filter(organisation=organisation, user=user)
        .select_related("user", "organisation")
        .first()
        if organisation is not None and user is not None
        else None
    )
    allowed = (
        permissions.OrganisationAccess(organisation, membership).invitable_roles
        if membership is not None
        else frozenset()
    )
    if not allowed:
        log.warning(
            "bulk invitations not sent: organisation=%s by=%s: %s",
            organisation_id,
            invited_by_id,
            "no longer a member" if membership is None else "may no longer invite",
        )
        if user is not None:
            batch_no_access_tell(
                organisation_id=organisation_id,
                organisation=organisation,
                user=user,
                rows=len(rows),
                confirmed_at=confirmed_at,
                member=membership is not None,
            )
        return 0
    try:
        checked, results = invitation_batch_send(
            organisation=organisation, rows=parsed, allowed_roles=allowed, invited_by=user
        )
    except ValidationError:
        # Undone by a change committed while it was being sent (someone invited or added one of
        # its addresses a moment ago): checked and sent once more, as a preview now would show
        # it, so the row that changed is found and its sender told like any other.
        try:
            checked, results = invitation_batch_send(
                organisation=organisation, rows=parsed, allowed_roles=allowed, invited_by=user
            )
        except ValidationError as error:
            # Refused again, by a rule the check does not know of: the sender is told the
            # service's words, row by row, rather than the task failing and retrying unseen.
            lines = error.messages
            log.warning(
                "bulk invitations not sent: organisation=%s rows=%s refused=%s by=%s",
                organisation.slug,
                len(parsed),
                len(lines),
                user.pk,
            )
            batch_rows_changed_tell(
                organisation=organisation,
                user=user,
                count=len(parsed),
                lines=lines,
                confirmed_at=confirmed_at,
            )
            return 0
    if not results:
        log.warning(
            "bulk invitations not sent: organisation=%s rows=%s problems=%s by=%s",
            organisation.slug,
            len(checked),
            sum(1 for row in checked if not row.ok),
            user.pk,
        )
        batch_rows_changed_tell(
            organisation=organisation,
            user=user,
            count=len(checked),
            lines=problem_lines(checked),
            confirmed_at=confirmed_at,
        )
    return len(results)
