"""Every account's sign-in address in django-allauth's table, verified and primary (decision 96).

People added before allauth was installed, and accounts made by ``add_member`` and the Members
page before ``registers.services.accounts.sign_in_address_add``, had no ``EmailAddress`` row:
allauth made an unverified copy the first time one of its pages read it (a GET that wrote), and
an unverified address stops a person adding a second factor. This makes the rows, in batches of
users by id, as ``sign_in_address_add`` makes them for a new account. Running it again changes
nothing; reversing it is a no-op (the rows are what the accounts should have had). What it did
is counted, and the stale rows removed and the accounts left without a row said on the console.

For each account, with its address lowered and trimmed, the rows become what
``sign_in_address_change`` leaves (decision 100):
- its other verified rows are deleted: an admin changed the address before that service, and
  the old address kept its verified (often primary) row, so it still signed in as the account
  and got its password reset links (under ``ACCOUNT_CHANGE_EMAIL`` allauth's own change flow
  keeps no second verified address). They go first, over every account, and again while a
  deletion frees the address of an account it held;
- it has a verified row for the address: made primary if it is not;
- it has allauth's unverified copy of the address: the copy becomes verified and primary
  (allauth treats an unverified address as one being changed to, and would drop it on the next
  change; ``sign_in_address_keep`` did the same before an e-mail change);
- it has no row for the address: one is made, verified and primary;
- unverified rows for other addresses (a change asked for and not yet confirmed) are kept; one
  that was primary stops being so first (one primary row per account, ``unique_primary_email``).

Left as they are, without a row, counted and said on the console, never an error: an account
whose address is blank; accounts whose addresses are the same but for case or spaces
(``user_email_ci_unique`` rules them out, so only a database loaded around the constraint has
them: whose address it is is for an admin to settle); an account whose address another account
still holds as a verified allauth address once the stale rows are gone (allauth allows one; the
holder is one of these itself). allauth keeps its old behaviour for them: a copy on first read,
and the e-mail change form confirms it first (``accounts.services_account``).
"""

import sys
from collections import Counter

from django.conf import settings
from django.db import migrations
from django.db.models import Count
from django.db.models.functions import Lower, Trim

BATCH = 1000


def _batches(users, batch_size: int):
    """Every account, in batches by id, as (pk, address lowered and trimmed)."""
    last = None
    while True:
        page = users.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        batch = list(page.values_list("pk", "email")[:batch_size])
        if not batch:
            return
        last = batch[-1][0]
        yield [(pk, (email or "").strip().lower()) for pk, email in batch]


def _own(addresses, wanted: dict) -> dict:
    """Of the accounts ``wanted`` ({pk: address}), those whose address no other account holds
    as a verified row (allauth allows one)."""
    holders = dict(
        addresses.filter(email__in=wanted.values(), verified=True).values_list("email", "user_id")
    )
    return {pk: address for pk, address in wanted.items() if holders.get(address, pk) == pk}


def _stale_remove(users, addresses, shared: set, batch_size: int) -> tuple[int, int]:
    """Delete the verified rows of addresses other than their account's own; returns how many,
    and how many accounts were left alone because another account holds their address."""
    removed = held = 0
    for batch in _batches(users, batch_size):
        wanted = {pk: address for pk, address in batch if address and address not in shared}
        own = _own(addresses, wanted)
        held += len(wanted) - len(own)
        stale = [
            pk
            for pk, user_id, email in addresses.filter(user_id__in=own, verified=True).values_list(
                "pk", "user_id", "email"
            )
            if email.lower() != own[user_id]
        ]
        if stale:
            addresses.filter(pk__in=stale).delete()
            removed += len(stale)
    return removed, held


def sign_in_addresses_add(apps, schema_editor, batch_size: int = BATCH) -> Counter:
    """Make the missing rows, drop the stale ones; returns what it did, by kind (the tests read
    it)."""
    app_label, model_name = settings.AUTH_USER_MODEL.split(".")
    User = apps.get_model(app_label, model_name)
    EmailAddress = apps.get_model("account", "EmailAddress")
    db = schema_editor.connection.alias if schema_editor is not None else "default"
    users = User._base_manager.using(db)
    addresses = EmailAddress._base_manager.using(db)
    shared = set(
        users.annotate(address=Lower(Trim("email")))
        .exclude(address="")
        .values("address")
        .annotate(accounts=Count("pk"))
        .filter(accounts__gt=1)
        .values_list("address", flat=True)
    )
    done: Counter = Counter()
    # Stale rows first, over every account: deleting one can free the address of an account
    # already passed (a stale row of its address held it), so again until none is freed.
    while True:
        removed, held = _stale_remove(users, addresses, shared, batch_size)
        done["stale verified removed"] += removed
        if not (removed and held):
            break
    for batch in _batches(users, batch_size):
        wanted = {}
        for pk, address in batch:
            if not address:
                done["blank"] += 1
            elif address in shared:
                done["shared"] += 1
            else:
                wanted[pk] = address
        own = _own(addresses, wanted)
        done["held by another account"] += len(wanted) - len(own)
        rows: dict = {}
        for row in addresses.filter(user_id__in=own):
            rows.setdefault(row.user_id, []).append(row)
        new, demoted, verified, primary = [], [], [], []
        for pk, address in own.items():
            copy = None
            for row in rows.get(pk, []):
                if row.email.lower() == address:
                    copy = row
                elif row.primary:  # unverified (verified ones are gone): a pending change
                    demoted.append(row.pk)
            if copy is None:
                new.append(EmailAddress(user_id=pk, email=address, verified=True, primary=True))
            elif not copy.verified:
                verified.append(copy.pk)
            elif not copy.primary:
                primary.append(copy.pk)
            else:
                done["already there"] += 1
        # One primary row per account (unique_primary_email): the others stop first.
        if demoted:
            addresses.filter(pk__in=demoted).update(primary=False)
            done["pending no longer primary"] += len(demoted)
        # ignore_conflicts: a row someone's request made meanwhile stays as it is.
        addresses.bulk_create(new, ignore_conflicts=True)
        done["made"] += len(new)
        if verified or primary:
            addresses.filter(pk__in=verified + primary).update(verified=True, primary=True)
        done["copy verified"] += len(verified)
        done["made primary"] += len(primary)
    if done["stale verified removed"]:
        sys.stdout.write(
            "\n  accounts.0004: verified addresses no longer their account's sign-in address"
            " (an admin's change before decision 100): stale verified removed"
            f" {done['stale verified removed']} (decision 96)\n"
        )
    left = {kind: done[kind] for kind in ("blank", "shared", "held by another account")}
    if any(left.values()):
        sys.stdout.write(
            "\n  accounts.0004: accounts left without a sign-in address row: "
            + ", ".join(f"{kind} {count}" for kind, count in left.items())
            + " (decision 96)\n"
        )
    return done


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_provider_saml"),
        ("account", "0009_emailaddress_unique_primary_email"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(sign_in_addresses_add, migrations.RunPython.noop, elidable=True),
    ]
