"""A bulk invitation undone by a change committed while the worker was sending it (someone added
one of its addresses a moment ago): the worker's check passed, the send then failed, and all of
it was rolled back. Real connections: another thread commits the change between the two. The
sender must still be told which row and why, and nothing is sent."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from registers.models import Invitation, Role
from registers.services import invitation_batches
from registers.services.invitation_batches import ROW_MEMBER, invitation_batch_run
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_batch_undone_by_a_moment_ago_change_tells_the_sender(
    organisation, monkeypatch, send_queued_email
):
    coordinator = MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user
    real_send = invitation_batches.invitation_send

    def someone_adds_the_address_meanwhile():
        try:
            MembershipFactory(
                organisation=organisation, role=Role.VIEWER, user__email="late@example.org"
            )
        finally:
            connection.close()

    added = []

    def invitation_send(**kwargs):
        # After the worker's check passed, before this row is sent: another connection commits.
        if kwargs["email"] == "late@example.org" and not added:
            added.append(True)
            other = threading.Thread(target=someone_adds_the_address_meanwhile)
            other.start()
            other.join(5)
        return real_send(**kwargs)

    monkeypatch.setattr(invitation_batches, "invitation_send", invitation_send)
    kwargs = {
        "organisation_id": organisation.pk,
        "invited_by_id": coordinator.pk,
        "rows": [[1, "first@example.org", "viewer"], [2, "late@example.org", "viewer"]],
        "confirmed_at": (timezone.now() - timedelta(seconds=1)).isoformat(),
    }
    with send_queued_email() as outbox:
        assert invitation_batch_run(**kwargs) == 0
    assert not Invitation.objects.exists()  # the first row's invitation was undone too
    (message,) = outbox
    assert message.to == [coordinator.email]
    assert (
        ROW_MEMBER.format(line=2, email="late@example.org", organisation=organisation.display_name)
        in message.body
    )
