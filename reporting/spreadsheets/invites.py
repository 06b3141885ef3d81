"""Inviting people named in a spreadsheet who are not members yet (issue 15; the import's invite
option: ``import_register --invite``, the import page's checkbox).

With the option, an owner, manager, working lead, control owner or action owner given as an
e-mail address that is no member's is not a row problem. An invitation (role: risk owner) is sent
through ``registers.services.invitations.invitation_send`` when the import is written, and:

- an address not yet invited, whether or not it has an account (a member of another
  organisation is invited too, never made a member without accepting: decision 113, and the plan
  does not say which addresses have accounts): the invitation cannot hold a pending assignment, so
  the row is imported without that person (an owner stays as it was: blank on a new risk,
  unchanged on an existing one; a working lead is left out) and the plan says "invited x@y;
  assign once they accept";
- an address already invited (an open invitation): not invited again (a second invitation would
  change the role it was sent with); assign once they accept.

Only a person who may invite risk owners (``registers.permissions.INVITABLE_ROLES``) may use the
option in the browser; the command is run by the server's operator.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from registers.models import Organisation, Role
from registers.services.invitations import invitation_send, open_invitations

INVITED_ROLE = Role.OWNER


@dataclass
class PlannedInvite:
    email: str
    already_invited: bool = False
    places: list[str] = field(default_factory=list)  # "row 4: owner", "controls row 3: owner"

    def line(self, *, dry_run: bool = False) -> str:
        where = ", ".join(self.places)
        if self.already_invited:
            return f"{self.email} is already invited; assign once they accept ({where})"
        verb = "would invite" if dry_run else "invited"
        return f"{verb} {self.email}; assign once they accept ({where})"


class Invites:
    """The addresses to invite, gathered while a file is checked."""

    def __init__(self, organisation: Organisation):
        self.organisation = organisation
        self.planned: dict[str, PlannedInvite] = {}
        self._open: set[str] | None = None

    def add(self, email: str, *, row: int, column: str, sheet: str = "") -> None:
        """Plan an invitation to ``email`` (lower case); nobody is assigned until they accept."""
        planned = self.planned.get(email)
        if planned is None:
            if self._open is None:
                self._open = {
                    each.lower()
                    for each in open_invitations(self.organisation).values_list("email", flat=True)
                }
            planned = PlannedInvite(email=email, already_invited=email in self._open)
            self.planned[email] = planned
        planned.places.append(f"{sheet + ' ' if sheet else ''}row {row}: {column}")

    def lines(self, *, dry_run: bool = False) -> list[str]:
        return [planned.line(dry_run=dry_run) for planned in self.planned.values()]

    def fingerprint(self) -> list:
        return [[planned.email, planned.already_invited] for planned in self.planned.values()]


def invites_send(*, plan) -> None:
    """Send the plan's invitations (inside the import's transaction: the e-mails go once it
    commits)."""
    invites: Invites | None = getattr(plan, "invites", None)
    if invites is None:
        return
    for planned in invites.planned.values():
        if planned.already_invited:
            continue
        invitation_send(
            organisation=plan.organisation,
            email=planned.email,
            role=INVITED_ROLE,
            invited_by=getattr(plan, "invited_by", None),
        )
