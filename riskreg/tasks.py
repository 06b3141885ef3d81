from celery import shared_task

from .mail import SEND_EMAIL, send_now


@shared_task(
    name=SEND_EMAIL,
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_kwargs={"max_retries": 5},
)
def send_email(*, subject: str, text: str, html: str, to: list[str]) -> None:
    """Send one rendered e-mail (``riskreg.mail.send_later``); a mail server that cannot be
    reached (an OSError: refused, timed out, SMTP errors are OSErrors too) is tried again,
    backing off, five times."""
    send_now(subject=subject, text=text, html=html, to=to)
