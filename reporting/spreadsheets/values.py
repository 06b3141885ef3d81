"""Reading the value of a cell as the importer means it: text, lines, dates, members."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from registers.calendar import AS_OF_TOO_EARLY, EARLIEST_AS_OF
from registers.models import Membership, Organisation, User

# Leading characters that make a spreadsheet cell a formula; export prefixes them with an
# apostrophe, and import takes it off again so a round trip keeps the text as it was.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
# A date far outside these is a typing slip (0001-01-01, 20277-01-01), never a review date.
LATEST_DATE = dt.date(2999, 12, 31)
DATE_TOO_LATE = "the date is after 2999: give a date up to 31 December 2999"


def fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def text_as_read(text: str) -> str:
    """Text as a cell of it reads back (``cell_text``): Windows line endings (CR LF) as one LF,
    spaces trimmed. A stored value compared with a cell goes through it first, so a title stored
    with CR LF (the API took one before decision 122) reads as unchanged in its own export."""
    return text.replace("\r\n", "\n").strip()


def cell_text(value: object) -> str:
    """A cell as text: numbers without a spurious '.0', dates as ISO, spaces trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = text_as_read(str(value))
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_STARTS:
        text = text[1:]
    return text


def cell_lines(value: object) -> list[str]:
    """One control or action per line; blank lines and repeats dropped, order kept."""
    seen: set[str] = set()
    lines = []
    for line in cell_text(value).splitlines():
        line = line.strip().lstrip("•").strip()
        if line and fold(line) not in seen:
            seen.add(fold(line))
            lines.append(line)
    return lines


def cell_items(value: object) -> list[str]:
    """Several names in one cell: one per line or separated by ';', repeats dropped, order kept."""
    seen: set[str] = set()
    items = []
    for line in cell_lines(value):
        for item in line.split(";"):
            item = item.strip()
            if item and fold(item) not in seen:
                seen.add(fold(item))
                items.append(item)
    return items


def parse_date(value: object) -> dt.date:
    """ISO (2027-03-31), UK (31/03/2027) or a spreadsheet date cell, from 1900 to 2999."""
    day = _read_date(value)
    if day < EARLIEST_AS_OF:
        raise ValueError(AS_OF_TOO_EARLY)
    if day > LATEST_DATE:
        raise ValueError(DATE_TOO_LATE)
    return day


def _read_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    iso, uk = _ISO_DATE.match(text), _UK_DATE.match(text)
    try:
        if iso:
            return dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
        if uk:
            return dt.date(int(uk[3]), int(uk[2]), int(uk[1]))
    except ValueError:
        raise ValueError(f"{text!r} is not a real date") from None
    raise ValueError(f"{text!r} is not a date: use yyyy-mm-dd or dd/mm/yyyy (31/03/2027)")


def blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def level_token(value: object) -> object:
    if isinstance(value, dt.date):
        return cell_text(value)  # a level typed as "4/5" that Excel turned into a date: refused
    return value.strip() if isinstance(value, str) else value


class Members:
    """Find a member by e-mail address, full name or (failing both) job title."""

    def __init__(self, organisation: Organisation):
        users = User.objects.filter(
            id__in=Membership.objects.filter(organisation=organisation).values("user_id")
        )
        self.by_email: dict[str, User] = {}
        self.by_name: dict[str, list[User]] = defaultdict(list)
        self.by_title: dict[str, list[User]] = defaultdict(list)
        for user in users:
            self.by_email[user.email.casefold()] = user
            if user.full_name.strip():
                self.by_name[fold(user.full_name)].append(user)
            if user.job_title.strip():
                self.by_title[fold(user.job_title)].append(user)

    def find(self, text: str) -> User:
        key = fold(text)
        if key in self.by_email:
            return self.by_email[key]
        for index, kind in ((self.by_name, "name"), (self.by_title, "job title")):
            users = index.get(key, [])
            if len(users) == 1:
                return users[0]
            if len(users) > 1:
                emails = ", ".join(sorted(user.email for user in users))
                raise ValueError(
                    f"{text!r} is ambiguous: {len(users)} members have that {kind} ({emails}); "
                    "use the e-mail address"
                )
        email = _as_email(text)
        if email:
            raise NotAMember(NOT_A_MEMBER_EMAIL.format(text=text), email=email)
        raise NotAMember(
            f"{text!r} is not a member of the organisation (use their e-mail address)", email=""
        )


# Without the import's invite option, an address that is not a member is a row problem saying so,
# in the import page's words (most imports are the browser's); the command prints the problem
# with its flag instead (``in_command_words``), never one interface's words in the other.
INVITE_ON_THE_PAGE = "with 'Invite people who are not members yet' ticked"
INVITE_IN_THE_COMMAND = "with --invite"
NOT_A_MEMBER_EMAIL = (
    "{text!r} is not a member of the organisation: to invite them, import the file again "
    + INVITE_ON_THE_PAGE
)


def in_command_words(problem: str) -> str:
    """A row problem as ``import_register`` prints it: the invite option named by its flag."""
    return problem.replace(INVITE_ON_THE_PAGE, INVITE_IN_THE_COMMAND)


class NotAMember(ValueError):
    """Nobody in the organisation has that e-mail address or name; ``email`` is the address
    (lower case) when the text is one, else ""."""

    def __init__(self, message: str, *, email: str):
        self.email = email
        super().__init__(message)


def _as_email(text: str) -> str:
    email = text.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        return ""
    return email
