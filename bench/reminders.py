"""Reminder digests for 10,000 risks across 1,000 people: the ``send_reminders`` command, as the
beat task runs it, with the in-memory e-mail backend.

    .venv/bin/python bench/reminders.py --reuse   # on the organisations bench/pages.py made

Spreads the 10,000-risk organisation's risks (owner and manager) and actions over 1,000 members
(adding 800 to the generated 200), sends back one open risk's update in ``SENT_BACK_EVERY``
to its owner (decision 137: the digest's "Sent back to you" is measured on updates, not on
none), then sends the digests of the coming Monday (personal digests
and the coordinators' weekly ones), timing the run, counting e-mails and queries; then runs it
again to show it is idempotent (nothing sent twice) and what a rerun costs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate as gen  # noqa: E402
import pages  # noqa: E402

PEOPLE = 1_000
# One open risk in 40 has its owner's update sent back by a coordinator and standing: a share
# of the order of the updates an approver sends back in a quarter.
SENT_BACK_EVERY = 40


def spread_over_people(organisation, people: int = PEOPLE) -> int:
    """Owners, managers and action owners spread over ``people`` members (idempotent)."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from registers.models import Action, Membership, Risk, Role

    owners = list(
        Membership.objects.filter(organisation=organisation, role=Role.OWNER)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    if len(owners) >= people:
        return len(owners)
    with transaction.atomic():
        added = gen.add_people(
            organisation,
            people - len(owners),
            password_hash=make_password(gen.PASSWORD),
            start=len(owners),
        )
        owners += [user.id for user in added]
        risks = list(Risk.objects.filter(organisation=organisation).only("id").order_by("id"))
        for n, risk in enumerate(risks):
            risk.owner_id = owners[n % len(owners)]
            risk.manager_id = owners[(n * 7 + 3) % len(owners)]
        Risk.objects.bulk_update(risks, ["owner", "manager"], batch_size=2000)
        actions = list(Action.objects.filter(organisation=organisation).only("id").order_by("id"))
        for n, action in enumerate(actions):
            action.owner_id = owners[(n * 13 + 5) % len(owners)]
        Action.objects.bulk_update(actions, ["owner"], batch_size=2000)
    return len(owners)


def send_back_some(organisation, every: int = SENT_BACK_EVERY) -> int:
    """Every ``every``-th open risk (by id) gets an update of its owner's sent back by a
    coordinator, made after its last review so that it stands (``stands_sent_back``); half are
    reviews, half changes of rating made on the edit form (``KIND_RATING``), which the e-mail
    links to different pages. The same risks, words and order each time; idempotent (none is
    added where the organisation has any sent back). Returns how many stand."""
    from django.db import transaction
    from django.db.models import Max
    from django.utils import timezone

    from registers.models import Membership, Review, ReviewState, Risk, Role
    from registers.models.risks import RiskStatus
    from registers.services.review_submissions import KIND_RATING, KIND_REVIEW

    sent_back = Review.objects.filter(organisation=organisation, state=ReviewState.SENT_BACK)
    if sent_back.exists():
        return sent_back.count()
    decider = (
        Membership.objects.filter(organisation=organisation, role=Role.COORDINATOR)
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .first()
    )
    risks = list(
        Risk.objects.filter(
            organisation=organisation,
            status__in=(RiskStatus.OPEN, RiskStatus.ESCALATED),
            owner__isnull=False,
        )
        .only("id", "owner_id", "current_likelihood", "current_impact")
        .order_by("id")
    )[::every]
    last = dict(
        Review.objects.filter(risk__in=risks)
        .values("risk_id")
        .annotate(last=Max("created_at"))
        .values_list("risk_id", "last")
    )
    now = timezone.now()
    updates = []
    for n, risk in enumerate(risks):
        # Submitted in the last three weeks, after the risk's last review; decided a day later.
        made = now - dt.timedelta(days=21 - n % 20, hours=n % 7)
        if risk.id in last and made <= last[risk.id]:
            made = last[risk.id] + dt.timedelta(minutes=1)
        decided = min(made + dt.timedelta(days=1), now)
        current = [risk.current_likelihood or 3, risk.current_impact or 3]
        updates.append(
            Review(
                organisation_id=organisation.id,
                risk_id=risk.id,
                reviewed_by_id=risk.owner_id,
                reviewed_on=made.date(),
                rescored=True,
                note="" if n % 2 else "Quarterly review: the controls are working as planned",
                created_at=made,
                state=ReviewState.SENT_BACK,
                proposed={
                    "positions": {"current": current},
                    "kind": KIND_RATING if n % 2 else KIND_REVIEW,
                },
                decided_by_id=decider,
                decided_at=decided,
                decision_note=(
                    "Say what evidence supports the new rating and who checked the controls "
                    f"since the last review ({n})"
                ),
            )
        )
    with transaction.atomic(), gen._dates_as_given(Review):
        Review.objects.bulk_create(updates, batch_size=2000)
    return len(updates)


def next_monday(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def send(day: dt.date) -> dict:
    from django.core import mail
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings

    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        mail.outbox = []
        out = io.StringIO()
        # Counted through a wrapper: the debug query log is a bounded deque (9,000 entries).
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            call_command("send_reminders", "--today", day.isoformat(), stdout=out)
            seconds = time.perf_counter() - started
        sent = len(mail.outbox)
        lines = sum(message.body.count("\n") for message in mail.outbox)
    return {
        "seconds": round(seconds, 2),
        "emails": sent,
        "queries": counter.count,
        "queries_per_email": round(counter.count / sent, 1) if sent else None,
        "body_lines": lines,
        "last_line": out.getvalue().strip().splitlines()[-1],
    }


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def run(organisation) -> dict:
    from django.utils import timezone

    from registers.models import Membership
    from reporting.models import Reminder

    started = time.perf_counter()
    people = spread_over_people(organisation)
    sent_back = send_back_some(organisation)
    spread_seconds = time.perf_counter() - started
    day = next_monday(timezone.localdate())
    # A bench run measures a first send: the records of an earlier bench run for that day go.
    Reminder.objects.filter(day=day).delete()
    first = send(day)
    again = send(day)
    return {
        "day": day.isoformat(),
        "people": people,
        "sent_back": sent_back,
        "members": Membership.objects.filter(organisation=organisation).count(),
        "spread_seconds": round(spread_seconds, 1),
        "first_run": first,
        "second_run": again,
        "machine": gen.machine(),
    }


def print_result(result: dict) -> None:
    print()
    print(
        f"Reminders for {result['day']} (a Monday), every organisation of the bench database: "
        f"10,000 risks over {result['people']} owners ({result['sent_back']} updates sent back), "
        "and the 100-risk organisation"
    )
    print(f"{'run':<12}{'seconds':>9}{'e-mails':>9}{'queries':>9}{'per e-mail':>12}  command said")
    for name in ("first_run", "second_run"):
        row = result[name]
        per = row["queries_per_email"] if row["queries_per_email"] is not None else "-"
        print(
            f"{name.replace('_', ' '):<12}{row['seconds']:>9.2f}{row['emails']:>9}"
            f"{row['queries']:>9}{per!s:>12}  {row['last_line']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", action="store_true", help="use the organisations already there")
    args = parser.parse_args()
    pages.setup(reuse=args.reuse)
    result = run(pages.organisations()[pages.BIG])
    print_result(result)
    gen.merge_results("reminders", result)


if __name__ == "__main__":
    main()
