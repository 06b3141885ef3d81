"""Comments in the thread of a risk, or of one of its controls or actions (issue 17).

Plain text with links; ``@`` and a member's e-mail address mentions them (the autocomplete
inserts the same token). Who may write, change and delete is ``OrganisationAccess``'s to say
(``can_comment``, ``can_edit_comment``, ``can_delete_comment``); these services hold the same
rules for every caller and say which one refused. Every write is in the comment's history, with
who and why; a deleted comment keeps its row with the text cleared ("Comment deleted" in its
place), and its history keeps what it said.

Who is told (``registers.services.notices.notify``, the one way to tell anyone of an event):
each person mentioned (``MENTIONED``), and the risk's owner and manager (``COMMENT``) unless
mentioned, never the author. An edit that mentions someone new tells only them.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from ..models import Action, Control, NoticeKind, Risk
from ..models.comments import COMMENT_MAX_LENGTH, Comment
from ..permissions import (
    COMMENT_EDIT_WINDOW,
    OrganisationAccess,
    members_who_may_read,
    memberships_for_user,
)
from .notices import notify
from .register_archive import refuse_if_risk_archived

# @ then an e-mail address, not inside a word or another address ("me@x.uk" mentions nobody).
# A full stop or comma after the address ends the sentence, not the address.
MENTION = re.compile(r"(?<![\w.@+-])@([\w.%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
MENTIONS_MAX = 20

COMMENT_EMPTY = "write a comment"
COMMENT_TOO_LONG = (
    f"keep a comment to {COMMENT_MAX_LENGTH:,} characters (attach a paper as evidence)"
)
COMMENT_NOT_ALLOWED = "your role does not let you comment on this risk"
COMMENT_NOT_MEMBER = "you are not a member of the organisation this risk belongs to"
COMMENT_ABOUT_OTHER_RISK = "choose a control or action of this risk"
COMMENT_ABOUT_BOTH = "a comment is about the risk, one control or one action"
COMMENT_NOT_YOURS = "only its author can change a comment"
COMMENT_EDIT_CLOSED = (
    f"a comment can be changed for {COMMENT_EDIT_WINDOW.seconds // 60} minutes after it is "
    "written: add another comment instead"
)
COMMENT_DELETE_NOT_ALLOWED = "only its author or an admin can delete a comment"
COMMENT_DELETED = "this comment has been deleted"
MENTION_NOT_READER = (
    "the mention of {address} names nobody in {organisation} who may read this risk: mention "
    "someone who can, or write their name without the @"
)
MENTIONS_TOO_MANY = f"mention at most {MENTIONS_MAX} people in one comment"

REASON_ADDED = "Comment added"
REASON_EDITED = "Comment edited"
REASON_DELETED = "Comment deleted"


def mentioned_addresses(body: str) -> list[str]:
    """The e-mail addresses ``body`` mentions, lower-cased, each once, in order."""
    found: list[str] = []
    for match in MENTION.finditer(body or ""):
        address = match.group(1).lower()
        if address not in found:
            found.append(address)
    return found


def _access(user, risk: Risk) -> OrganisationAccess:
    membership = (
        memberships_for_user(user).filter(organisation_id=risk.organisation_id).first()
        if user is not None
        else None
    )
    if membership is None:
        raise ValidationError(COMMENT_NOT_MEMBER)
    return OrganisationAccess(membership.organisation, membership)


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": COMMENT_EMPTY})
    if len(body) > COMMENT_MAX_LENGTH:
        raise ValidationError({"body": COMMENT_TOO_LONG})
    return body


def _mentioned_users(risk: Risk, body: str) -> list:
    """The members ``body`` mentions; refuses anyone who may not read the risk (a mention
    would tell them it exists and what was said about it)."""
    addresses = mentioned_addresses(body)
    if not addresses:
        return []
    if len(addresses) > MENTIONS_MAX:
        raise ValidationError({"body": MENTIONS_TOO_MANY})
    # Addresses are unique whatever their case (older rows may hold capitals).
    found = (
        members_who_may_read(risk)
        .annotate(address=Lower("user__email"))
        .filter(address__in=addresses)
    )
    readers = {membership.address: membership.user for membership in found}
    errors = [
        MENTION_NOT_READER.format(address=address, organisation=risk.organisation.display_name)
        for address in addresses
        if address not in readers
    ]
    if errors:
        raise ValidationError({"body": errors})
    return [readers[address] for address in addresses]


def _risk_link(comment: Comment) -> str:
    path = reverse("risk", args=[comment.risk.organisation.slug, comment.risk.ref])
    return f"{path}#comment-{comment.pk}"


def _notice_body(comment: Comment) -> str:
    if comment.control_id:
        return f"On the control “{comment.control.description}”:\n\n{comment.body}"
    if comment.action_id:
        return f"On the action “{comment.action.description}”:\n\n{comment.body}"
    return comment.body


def _tell(comment: Comment, *, mentioned: list, owners: bool, author) -> None:
    risk = comment.risk
    name = author.display_name if author is not None else "Someone"
    common = {
        "organisation": risk.organisation,
        "url": _risk_link(comment),
        "body": _notice_body(comment),
        "risk": risk,
        "actor": author,
    }
    if mentioned:
        notify(
            kind=NoticeKind.MENTIONED,
            recipients=mentioned,
            event_key=f"comment:{comment.pk}:mention",
            title=f"{name} mentioned you on {risk.ref} {risk.title}",
            **common,
        )
    if owners:
        # Mentioned too: the mention says it all, once.
        every_mentioned = {user.pk for user in comment.mentions.all()}
        people = [
            person
            for person in (risk.owner, risk.manager)
            if person is not None and person.pk not in every_mentioned
        ]
        notify(
            kind=NoticeKind.COMMENT,
            recipients=people,
            event_key=f"comment:{comment.pk}:owner",
            title=f"{name} commented on {risk.ref} {risk.title}",
            **common,
        )


@transaction.atomic
def comment_add(
    *,
    risk: Risk,
    user,
    body: str,
    control: Control | None = None,
    action: Action | None = None,
) -> Comment:
    """Add ``user``'s comment to the thread of ``risk`` (about one of its controls or actions,
    if given), and tell the people it mentions and the risk's owner and manager."""
    access = _access(user, risk)
    if not access.can_comment(risk):
        refuse_if_risk_archived(risk)
        raise ValidationError(COMMENT_NOT_ALLOWED)
    if control is not None and action is not None:
        raise ValidationError({"about": COMMENT_ABOUT_BOTH})
    for thing in (control, action):
        if thing is not None and thing.risk_id != risk.pk:
            raise ValidationError({"about": COMMENT_ABOUT_OTHER_RISK})
    body = _clean_body(body)
    mentioned = _mentioned_users(risk, body)
    comment = Comment(
        organisation_id=risk.organisation_id,
        risk=risk,
        control=control,
        action=action,
        author=user,
        body=body,
    )
    comment.full_clean(validate_constraints=False)
    comment._change_reason = REASON_ADDED
    comment._history_user = user
    comment.save()
    comment.mentions.set(mentioned)
    _tell(comment, mentioned=mentioned, owners=True, author=user)
    return comment


def _locked(comment: Comment) -> Comment:
    """The comment's row, locked, keeping the risk (and its register) it was fetched with."""
    locked = (
        Comment.objects.select_for_update(of=("self",))
        .select_related("control", "action")
        .get(pk=comment.pk)
    )
    locked.risk = comment.risk
    return locked


@transaction.atomic
def comment_edit(*, comment: Comment, user, body: str) -> Comment:
    """Change the text of ``user``'s own comment, within ``COMMENT_EDIT_WINDOW`` of writing it.
    Someone mentioned for the first time is told; nobody is told twice."""
    comment = _locked(comment)
    access = _access(user, comment.risk)
    if comment.deleted_at is not None:
        raise ValidationError(COMMENT_DELETED)
    if comment.author_id != user.pk:
        raise ValidationError(COMMENT_NOT_YOURS)
    if timezone.now() - comment.created_at > COMMENT_EDIT_WINDOW:
        raise ValidationError(COMMENT_EDIT_CLOSED)
    if not access.can_edit_comment(comment):
        refuse_if_risk_archived(comment.risk)
        raise ValidationError(COMMENT_NOT_ALLOWED)
    body = _clean_body(body)
    if body == comment.body:
        return comment
    mentioned = _mentioned_users(comment.risk, body)
    before = {user.pk for user in comment.mentions.all()}
    comment.body = body
    comment.edited_at = timezone.now()
    comment.full_clean(validate_constraints=False)
    comment._change_reason = REASON_EDITED
    comment._history_user = user
    comment.save()
    comment.mentions.set(mentioned)
    newly = [person for person in mentioned if person.pk not in before]
    _tell(comment, mentioned=newly, owners=False, author=user)
    return comment


@transaction.atomic
def comment_delete(*, comment: Comment, user) -> Comment:
    """Delete a comment (its author, or an admin): the row stays, saying "Comment deleted",
    with its text and mentions cleared; its history keeps what it said, and who deleted it."""
    comment = _locked(comment)
    access = _access(user, comment.risk)
    if comment.deleted_at is not None:
        raise ValidationError(COMMENT_DELETED)
    if not access.can_delete_comment(comment):
        refuse_if_risk_archived(comment.risk)
        raise ValidationError(COMMENT_DELETE_NOT_ALLOWED)
    comment.body = ""
    comment.deleted_at = timezone.now()
    comment.deleted_by = user
    comment._change_reason = REASON_DELETED
    comment._history_user = user
    comment.save()
    comment.mentions.clear()
    return comment
