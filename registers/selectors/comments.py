"""Reads of comment threads (issue 17): a risk's thread, with its controls' and actions'
comments in it, and the people who may be mentioned on a risk.

A thread is two queries whatever its length (the comments with their authors, controls and
actions joined; their mentions), one when it is empty. Whether the reader may see it at all is
``OrganisationAccess.can_read_comments``' to say: the views never call these for someone who
may not read the risk's detail.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q

from ..models import Risk, User
from ..models.comments import Comment
from ..permissions import members_who_may_read

MENTION_SUGGESTIONS = 8


def comment_thread(risk: Risk) -> list[Comment]:
    """Every comment on ``risk`` and its controls and actions, oldest first, deleted ones
    included (they say so in place)."""
    comments = list(
        Comment.objects.filter(risk=risk)
        .select_related("author", "deleted_by", "control", "action")
        .prefetch_related(
            Prefetch("mentions", queryset=User.objects.order_by("full_name", "email"))
        )
        .order_by("created_at", "id")
    )
    for comment in comments:
        comment.risk = risk
    return comments


def comment_flags(comments, *, access) -> None:
    """Mark each comment with what the reader may do to it (no queries)."""
    for comment in comments:
        comment.can_edit = access.can_edit_comment(comment)
        comment.can_delete = access.can_delete_comment(comment)


def mention_candidates(*, risk: Risk, query: str, exclude=None) -> list[User]:
    """Up to ``MENTION_SUGGESTIONS`` people who may be mentioned on ``risk`` (the members who
    may read it), whose name, job title or e-mail address holds ``query``."""
    query = " ".join((query or "").split()).lstrip("@")
    if not query:
        return []
    members = members_who_may_read(risk).filter(
        Q(user__full_name__icontains=query)
        | Q(user__job_title__icontains=query)
        | Q(user__email__icontains=query)
    )
    if exclude is not None:
        members = members.exclude(user_id=exclude.pk)
    return [membership.user for membership in members[:MENTION_SUGGESTIONS]]
