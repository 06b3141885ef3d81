"""Reads of comment threads (issue 17): a risk's thread, with its controls' and actions'
comments in it, and the people who may be mentioned on a risk.

A thread is one query whatever its length (the comments with their authors, controls, actions
and the people they mention joined). Whether the reader may see it at all is
``OrganisationAccess.can_read_comments``' to say: the views never call these for someone who
may not read the risk's detail.
"""

from __future__ import annotations

from collections import Counter

from django.db.models import Count, F, Q

from ..models import Risk, User
from ..models.comments import Comment
from ..permissions import members_who_may_read
from ..prepared import prepared_list

MENTION_SUGGESTIONS = 8


# A mentioned person's columns, read beside the comment (``comment_thread``).
_MENTION_COLUMNS = ("id", "email", "full_name", "job_title")


def _thread_rows(risk_id: int):
    return (
        Comment.objects.filter(risk_id=risk_id)
        .select_related("author", "deleted_by", "control", "action")
        .annotate(**{f"mentioned_{name}": F(f"mentions__{name}") for name in _MENTION_COLUMNS})
        .order_by("created_at", "id", "mentions__full_name", "mentions__email")
    )


def comment_thread(risk: Risk) -> list[Comment]:
    """Every comment on ``risk`` and its controls and actions, oldest first, deleted ones
    included (they say so in place), each with the people it mentions (``comment.mentions``,
    by name, as a prefetch): one query, a row per comment and person mentioned."""
    rows = prepared_list("comment_thread", _thread_rows, risk_id=risk.id)
    comments: dict[int, Comment] = {}
    mentioned: dict[int, list[User]] = {}
    for row in rows:
        if row.pk not in comments:
            row.risk = risk
            comments[row.pk], mentioned[row.pk] = row, []
        if row.mentioned_id is not None:
            person = User(**{name: getattr(row, f"mentioned_{name}") for name in _MENTION_COLUMNS})
            person._state.adding, person._state.db = False, row._state.db
            mentioned[row.pk].append(person)
    for pk, comment in comments.items():
        # As ``prefetch_related("mentions")`` leaves it: ``comment.mentions.all()`` reads these.
        people = comment.mentions.get_queryset()
        people._result_cache, people._prefetch_done = mentioned[pk], True
        comment._prefetched_objects_cache = {"mentions": people}
    return list(comments.values())


def comment_counts(risk: Risk, *, controls=(), actions=()) -> None:
    """Mark each of the risk's ``controls`` and ``actions`` with how many comments not deleted
    are about it (``comment_count``), as the risk page counts them from its thread: for the
    rows and sections htmx swaps in without the thread. One query."""
    rows = (
        Comment.objects.filter(risk_id=risk.id, deleted_at__isnull=True)
        .exclude(control_id__isnull=True, action_id__isnull=True)
        .values_list("control_id", "action_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_control, by_action = Counter(), Counter()
    for control_id, action_id, n in rows:
        if control_id is not None:
            by_control[control_id] += n
        if action_id is not None:
            by_action[action_id] += n
    for control in controls:
        control.comment_count = by_control[control.pk]
    for action in actions:
        action.comment_count = by_action[action.pk]


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
