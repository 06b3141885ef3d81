"""A real OpenID Connect provider, running locally, that single sign-on is tested against.

It is django-allauth's own identity provider (``allauth.idp.oidc``), not a mock: a separate Django
project (``tests/oidc_provider/settings.py``, not riskreg's settings) served by gunicorn in its own
process on 127.0.0.1, with its own SQLite database in a temporary directory, its own people who sign
in on allauth's real login page, real HTTP for discovery, authorization, token, userinfo and JWKS,
and ID tokens signed RS256 with an RSA key generated for each start. riskreg talks to it exactly as
it would talk to an organisation's identity provider.

    provider = LocalOidcProvider().start()
    provider.add_client("riskreg", "s3cret", ["http://localhost:8000/accounts/oidc/.../callback/"])
    provider.add_user("ann@example.gov.uk", "a password", name="Ann Example")
    provider.issuer  # "http://127.0.0.1:PORT", as the discovery document says
    provider.stop()

Tests use the ``oidc_provider`` fixture in ``tests/oidc_provider/fixtures.py`` instead.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

REPO_ROOT = Path(__file__).resolve().parents[2]
SETTINGS_MODULE = "tests.oidc_provider.settings"
START_TIMEOUT = 30  # seconds; a start takes one or two
COMMAND_TIMEOUT = 60


class OidcProviderError(RuntimeError):
    """The provider could not be started, or a command against its database failed."""


def _die_with_parent() -> None:
    """Runs in the child before gunicorn starts: Linux sends it SIGTERM when the test process
    dies, even by SIGKILL, so no provider outlives the run that started it."""
    with contextlib.suppress(OSError, AttributeError):
        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class LocalOidcProvider:
    """One provider: a temporary directory (database, signing key, log), a gunicorn process on a
    free port of 127.0.0.1, and commands that add people and clients to its database."""

    def __init__(self) -> None:
        self.directory: Path | None = None
        self.port: int | None = None
        self._process: subprocess.Popen | None = None
        self._log = None
        self._env: dict[str, str] = {}
        self._commands: subprocess.Popen | None = None

    # The URL riskreg is configured with. allauth's idp advertises the request's own origin
    # (adapter.get_issuer: build_absolute_uri("/") without the trailing slash); the discovery
    # document is fetched at start and must say exactly this.
    @property
    def issuer(self) -> str:
        if self.port is None:
            raise OidcProviderError("the provider is not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def log_path(self) -> Path:
        return self.directory / "provider.log"

    def start(self) -> LocalOidcProvider:
        if self._process is not None:
            raise OidcProviderError("the provider is already started")
        atexit.register(self.stop)
        try:
            self._prepare()
            self._serve()
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _prepare(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="riskreg-oidc-provider-"))
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_file = self.directory / "signing-key.pem"
        key_file.write_bytes(
            key.private_bytes(
                encoding=serialization.Encoding.PEM,
                format=serialization.PrivateFormat.PKCS8,
                encryption_algorithm=serialization.NoEncryption(),
            )
        )
        key_file.chmod(0o600)
        env = {
            name: value
            for name, value in os.environ.items()
            # riskreg's own settings and database must not leak into the provider's process.
            if name not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "PYTHONPATH"}
        }
        env.update(
            DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
            PYTHONPATH=str(REPO_ROOT),
            OIDC_PROVIDER_DATABASE=str(self.directory / "provider.sqlite3"),
            OIDC_PROVIDER_PRIVATE_KEY_FILE=str(key_file),
            OIDC_PROVIDER_SECRET_KEY=secrets.token_urlsafe(50),
            PYTHONUNBUFFERED="1",
        )
        self._env = env
        self._manage("migrate", "--noinput", "--verbosity", "0")

    def _serve(self) -> None:
        # The parent binds the port and hands gunicorn the listening socket, so two xdist workers
        # can never pick the same free port between choosing it and binding it.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind(("127.0.0.1", 0))
            listener.listen(64)
            self.port = listener.getsockname()[1]
            self._log = self.log_path.open("ab")
            fd = listener.fileno()
            self._process = subprocess.Popen(  # noqa: S603 (fixed arguments, our own interpreter)
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "tests.oidc_provider.wsgi:application",
                    "--bind",
                    f"fd://{fd}",
                    "--workers",
                    "1",
                    "--threads",
                    "4",
                    "--graceful-timeout",
                    "2",
                    "--log-level",
                    "warning",
                    "--access-logfile",
                    "-",
                ],
                cwd=REPO_ROOT,
                env=self._env,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                pass_fds=(fd,),
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        finally:
            listener.close()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        last_error = ""
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise OidcProviderError(
                    f"the provider exited with {self._process.returncode}:\n{self._log_tail()}"
                )
            try:
                response = requests.get(self.discovery_url, timeout=2)
            except requests.RequestException as error:
                last_error = str(error)
            else:
                if response.status_code == 200:
                    advertised = response.json().get("issuer")
                    if advertised != self.issuer:
                        raise OidcProviderError(
                            f"the provider advertises issuer {advertised!r}, not {self.issuer!r}"
                        )
                    return
                last_error = f"HTTP {response.status_code}"
            time.sleep(0.05)
        raise OidcProviderError(
            f"the provider did not answer at {self.discovery_url} within {START_TIMEOUT}s "
            f"({last_error}):\n{self._log_tail()}"
        )

    def add_user(
        self, email: str, password: str, *, email_verified: bool = True, name: str = ""
    ) -> str:
        """Adds a person who can sign in with ``email`` and ``password`` (replacing one with the
        same address), returns their ``sub``. The ID token and userinfo carry ``email`` and
        ``email_verified``; with scope profile, ``name``, ``given_name`` and ``family_name``."""
        arguments = ["--email", email, "--password", password, "--name", name]
        if not email_verified:
            arguments.append("--unverified")
        output = self._manage("oidc_provider_user", *arguments)
        return json.loads(output)["sub"]

    def add_client(
        self,
        client_id: str,
        secret: str,
        redirect_uris: list[str] | tuple[str, ...],
        *,
        post_logout_redirect_uris: list[str] | tuple[str, ...] = (),
        skip_consent: bool = True,
    ) -> None:
        """Registers a confidential client (replacing one with the same id) allowed the
        authorization code flow with scopes openid, email and profile, returning to one of
        ``redirect_uris``. It skips the consent screen unless ``skip_consent=False``."""
        if isinstance(redirect_uris, str):
            raise TypeError("redirect_uris is a list of URLs")
        arguments = ["--client-id", client_id, "--secret", secret]
        for uri in redirect_uris:
            arguments += ["--redirect-uri", uri]
        for uri in post_logout_redirect_uris:
            arguments += ["--post-logout-redirect-uri", uri]
        if not skip_consent:
            arguments.append("--ask-consent")
        self._manage("oidc_provider_client", *arguments)

    def _manage(self, *arguments: str) -> str:
        """Runs one of the provider's management commands in its command process
        (tests/oidc_provider/commands.py), started on first use, and returns what it wrote."""
        if not self._env:
            raise OidcProviderError("the provider is not started")
        if self._commands is None:
            with self.log_path.open("ab") as log:  # the child keeps its own copy of the file
                self._commands = subprocess.Popen(  # noqa: S603 (fixed command, our interpreter)
                    [sys.executable, "-m", "tests.oidc_provider.commands"],
                    cwd=REPO_ROOT,
                    env=self._env,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=log,
                    text=True,
                    preexec_fn=_die_with_parent if sys.platform == "linux" else None,
                )
        commands = self._commands
        line, why = "", "timed out"
        try:
            commands.stdin.write(json.dumps(arguments) + "\n")
            commands.stdin.flush()
            if select.select([commands.stdout], [], [], COMMAND_TIMEOUT)[0]:
                line, why = commands.stdout.readline(), "the command process ended"
        except OSError as error:
            why = f"the command process ended: {error}"
        if not line:
            self._commands = None
            commands.kill()
            commands.wait()
            raise OidcProviderError(
                f"provider command {arguments[0]} got no answer ({why}):\n{self._log_tail()}"
            )
        answer = json.loads(line)
        if not answer["ok"]:
            raise OidcProviderError(f"provider command {arguments[0]} failed:\n{answer['output']}")
        return answer["output"]

    def _log_tail(self, characters: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-characters:]
        except (OSError, TypeError):
            return "(no log)"

    def stop(self) -> None:
        """Ends the provider's processes (gunicorn's arbiter and worker, the command process) and
        removes its temporary directory. Safe to call more than once."""
        commands, self._commands = self._commands, None
        if commands is not None:
            with contextlib.suppress(OSError):
                commands.stdin.close()  # the command process ends at the end of its input
            try:
                commands.wait(timeout=5)
            except subprocess.TimeoutExpired:
                commands.kill()
                commands.wait()
            commands.stdout.close()
        process, self._process = self._process, None
        if process is not None:
            self._end(process)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
        self._env = {}
        self.port = None
        atexit.unregister(self.stop)

    @staticmethod
    def _end(process: subprocess.Popen) -> None:
        # gunicorn runs in a session of its own: signalling the group reaches its worker too.
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            try:
                process.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def __enter__(self) -> LocalOidcProvider:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
