"""E-mail in the house style, sent by the queue (issue 14).

``send_later`` renders nothing: the caller renders its text and HTML parts (from
``templates/email/*.html`` extending ``email/base.html``) and this queues the ``riskreg.send_email``
task after the transaction commits, so a request never waits on the mail server and a rolled-back
write sends nothing. If the broker cannot take the message (down, unreachable), it is sent at
once instead and the fall-back is logged: an invitation or a reset link is never lost to a queue
outage. Links in e-mails are absolute, from ``RISKREG_BASE_URL`` (``absolute``)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from kombu.exceptions import OperationalError

from .celery import task_named
from .one_line import one_line

log = logging.getLogger(__name__)

SEND_EMAIL = "riskreg.send_email"


def absolute(path: str) -> str:
    return settings.RISKREG_BASE_URL.rstrip("/") + path


def message(*, subject: str, text: str, html: str, to: list[str]) -> EmailMultiAlternatives:
    """The e-mail, its subject folded onto one line: a line break in a subject (a risk's title
    typed with one, say) made Django refuse the whole message (BadHeaderError), after the
    notices it told of were stamped e-mailed, so nothing was sent, ever (decision 122)."""
    email = EmailMultiAlternatives(
        subject=one_line(subject), body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=to
    )
    if html:
        email.attach_alternative(html, "text/html")
    return email


def send_now(*, subject: str, text: str, html: str, to: list[str]) -> None:
    message(subject=subject, text=text, html=html, to=to).send(fail_silently=False)


def _queue(kwargs: dict) -> None:
    try:
        task_named(SEND_EMAIL).apply_async(kwargs=kwargs)
    except OperationalError:
        log.warning("e-mail queue unreachable: sending %r at once", kwargs["subject"])
        send_now(**kwargs)


def send_later(*, subject: str, text: str, html: str = "", to: list[str]) -> None:
    kwargs = {"subject": subject, "text": text, "html": html, "to": list(to)}
    transaction.on_commit(lambda: _queue(kwargs))
