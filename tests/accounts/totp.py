"""Authenticator-app codes for tests (RFC 6238, as allauth computes them), and a wait for a fresh
30-second window so a code computed now is still the current one when the server checks it."""

from __future__ import annotations

import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

PERIOD = 30


def code_now(secret: str, *, margin: float = 3.0) -> str:
    """The code for ``secret`` now; waits for the next window first when fewer than ``margin``
    seconds of this one are left."""
    left = PERIOD - time.time() % PERIOD
    if left < margin:
        time.sleep(left + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // PERIOD))


def wrong_code(secret: str) -> str:
    """A 6-digit code that is not the current one."""
    right = code_now(secret)
    return f"{(int(right) + 1) % 1_000_000:06d}"
