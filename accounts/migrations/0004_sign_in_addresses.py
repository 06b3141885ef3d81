"""Every account's sign-in address in django-allauth's table, verified and primary (decision 96).

People added before allauth was installed, and accounts made by ``add_member`` and the Members
page before ``registers.services.accounts.sign_in_address_add``, had no ``EmailAddress`` row:
allauth made an unverified copy the first time one of its pages read it (a GET that wrote), and
an unverified address stops a person adding a second factor. This makes the rows, in batches of
users by id, as ``sign_in_address_add`` makes them for a new account. Running it again changes
nothing; reversing it is a no-op (the rows are what the accounts should have had).

For each account, with its address lowered and trimmed:
- it has a verified row for the address: left alone, and so are all its other rows;
- it has allauth's unverified copy of the address: the copy becomes verified, and primary if the
  account has no primary row (allauth treats an unverified address as one being changed to, and
  would drop it on the next change; ``sign_in_address_keep`` did the same before an e-mail
  change);
- it has no row for the address: one is made, verified, primary unless the account already has a
  primary row (an address changed outside allauth; that row is left as it is);
- rows for other addresses (a change asked for and not yet confirmed) are never touched.

Left without a row, counted and said on the console, never an error: an account whose address is
blank; accounts whose addresses are the same but for case or spaces (``user_email_ci_unique``
rules them out, so only a database loaded around the constraint has them: whose address it is
is for an admin to settle); an account whose address another account holds as a verified
allauth address (allauth allows one). allauth keeps its old behaviour for them: a copy on first
read, and the e-mail change form confirms it first (``accounts.services_account``).
"""

import sys
from collections import Counter

from django.conf import settings
from django.db import migrations
from django.db.models import Count
from django.db.models.functions import Lower, Trim

BATCH = 1000


def sign_in_addresses_add(apps, schema_editor, batch_size: int = BATCH) -> Counter:
    """Make the missing rows; returns what it did, by kind (the tests read it)."""
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
    last = None
    while True:
        page = users.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        batch = list(page.values_list("pk", "email")[:batch_size])
        if not batch:
            break
        last = batch[-1][0]
        wanted = {}
        for pk, email in batch:
            address = (email or "").strip().lower()
            if not address:
                done["blank"] += 1
            elif address in shared:
                done["shared"] += 1
            else:
                wanted[pk] = address
        rows: dict = {}
        for row in addresses.filter(user_id__in=wanted):
            rows.setdefault(row.user_id, []).append(row)
        holders = dict(
            addresses.filter(email__in=wanted.values(), verified=True).values_list(
                "email", "user_id"
            )
        )
        new, promoted = [], {True: [], False: []}
        for pk, address in wanted.items():
            if holders.get(address, pk) != pk:
                done["held by another account"] += 1
                continue
            own = rows.get(pk, [])
            has_primary = any(row.primary for row in own)
            copy = next((row for row in own if row.email.lower() == address), None)
            if copy is None:
                new.append(
                    EmailAddress(user_id=pk, email=address, verified=True, primary=not has_primary)
                )
            elif not copy.verified:
                promoted[copy.primary or not has_primary].append(copy.pk)
            else:
                done["already there"] += 1
        # ignore_conflicts: a row someone's request made meanwhile stays as it is.
        addresses.bulk_create(new, ignore_conflicts=True)
        done["made"] += len(new)
        for primary, pks in promoted.items():
            if pks:
                addresses.filter(pk__in=pks).update(verified=True, primary=primary)
                done["copy verified"] += len(pks)
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
