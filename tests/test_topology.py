"""The production topology (issue 6): docker-compose.yml, the Dockerfile and the production
settings, read as files and then run as processes on this machine.

No Docker engine runs here, so the compose file is checked by reading it (YAML, anchors, service
names, queue options, health checks) and the integration test plays the containers with real
processes under ``riskreg.settings.production``: two gunicorn web processes, one Celery worker on
the default and ``packs`` queues, and beat. A coordinator signs in on web 1 and requests a pack;
web 2, with the same session, sees it built by the worker and serves the PDF; the compose health
checks are run as they are written. The TLS-terminating proxy is played by ``X-Forwarded-Proto``,
and the Secure cookies that a plain-HTTP client would drop are sent back by hand.

The integration test uses Redis db 14 (``RISKREG_TEST_TOPOLOGY_REDIS``) for the broker and the
cache, and is skipped only when Redis or a shared PostgreSQL is missing, like the other worker
tests.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
import yaml
from django.db import connection
from django.utils import timezone

from registers.models import Organisation, Register
from riskreg.celery import app as celery_app
from tests.factories import RiskFactory
from tests.reporting.celery_subprocess import database_url, redis_answers, wait_for

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BROKER = os.environ.get("RISKREG_TEST_TOPOLOGY_REDIS", "redis://127.0.0.1:6379/14")
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]
APP_SERVICES = ("migrate", "web", "worker", "worker-packs", "beat")
LONG_RUNNING = ("web", "worker", "worker-packs", "beat", "db", "redis")

# Variables the developer's shell may hold that would make a subprocess something other than
# what the test says it is.
OWN_PREFIXES = ("DJANGO_", "CELERY_", "RISKREG_", "GUNICORN_", "DATABASE_")


def clean_environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES)}


def production_env(**extra: str) -> dict[str, str]:
    env = clean_environ()
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "riskreg.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            # the container's PATH: the image's python, gunicorn and celery come first
            "PATH": os.pathsep.join([str(BIN), env.get("PATH", "")]),
        }
    )
    env.update(extra)
    return env


def compose_command(value) -> str:
    """A compose command or health check test as the shell in the container sees it: compose
    turns ``$$`` into ``$`` and folded (>-) strings arrive as one line."""
    if isinstance(value, list):
        value = " ".join(value)
    return value.replace("$$", "$")


def healthcheck_argv(service: str) -> list[str]:
    test = SERVICES[service]["healthcheck"]["test"]
    kind, rest = test[0], test[1:]
    if kind == "CMD-SHELL":
        return ["sh", "-c", compose_command(rest[0])]
    assert kind == "CMD", f"{service}: health check must be CMD or CMD-SHELL, not {kind}"
    return [part.replace("$$", "$") for part in rest]


# --- docker-compose.yml, read -------------------------------------------------------------------


def test_compose_services_share_one_app_definition():
    assert set(SERVICES) == {*APP_SERVICES, "db", "redis"}
    # one definition, merged into every app service (YAML anchors, resolved by the loader)
    assert "x-app: &app" in COMPOSE_TEXT
    assert COMPOSE_TEXT.count("<<: *app") == len(APP_SERVICES)
    for name in APP_SERVICES:
        service = SERVICES[name]
        assert service["image"] == COMPOSE["x-app"]["image"], name
        assert service["build"] == ".", name
        env = service["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "riskreg.settings.production", name
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/"), name
        assert env["DATABASE_URL"].startswith("postgres://riskreg:"), name
        assert "media:/app/var/media" in service["volumes"], name
    # the broker and the cache live in different Redis databases
    env = COMPOSE["x-app"]["environment"]
    assert env["CELERY_BROKER_URL"] != env["DJANGO_CACHE_URL"]


def test_compose_migrates_before_anything_serves():
    migrate = SERVICES["migrate"]
    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"
    assert "migrate" not in migrate["depends_on"]
    for name in ("web", "worker", "worker-packs", "beat"):
        depends = SERVICES[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["db"] == {"condition": "service_healthy"}, name
        assert depends["redis"] == {"condition": "service_healthy"}, name


def test_compose_workers_packs_queue_and_beat():
    web = compose_command(SERVICES["web"]["command"])
    assert web.startswith("gunicorn --config gunicorn.conf.py")
    worker = compose_command(SERVICES["worker"]["command"]).split()
    packs = compose_command(SERVICES["worker-packs"]["command"]).split()

    def option(argv, name):
        return argv[argv.index(name) + 1]

    assert worker[:4] == ["celery", "-A", "riskreg", "worker"]
    assert option(worker, "--queues") == "celery"
    assert packs[:4] == ["celery", "-A", "riskreg", "worker"]
    assert option(packs, "--queues") == "packs"
    assert option(packs, "--prefetch-multiplier") == "1"
    soft = option(packs, "--soft-time-limit")
    hard = option(packs, "--time-limit")
    defaults = [int(re.fullmatch(r"\$\{\w+:-(\d+)\}", value)[1]) for value in (soft, hard)]
    assert 0 < defaults[0] < defaults[1], "the soft limit must come before the hard one"
    grace = SERVICES["worker-packs"]["stop_grace_period"]
    assert int(grace.removesuffix("m")) * 60 > defaults[1], "docker stop must outwait a build"

    beat = SERVICES["beat"]
    assert compose_command(beat["command"]).startswith("celery -A riskreg beat")
    assert beat["deploy"]["replicas"] == 1
    assert beat["environment"]["RISKREG_BEAT_HEARTBEAT"]


def test_compose_queues_match_the_settings():
    """The queue names in the compose commands are the ones the settings route to."""
    from django.conf import settings

    declared = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    assert declared == {"celery", "packs"}
    assert settings.CELERY_TASK_DEFAULT_QUEUE == "celery"
    router = celery_app.amqp.router
    assert router.route({}, "reporting.build_pack")["queue"].name == "packs"
    for task in ("reporting.send_reminders", "reporting.request_scheduled_packs"):
        assert router.route({}, task)["queue"].name == "celery", task


def test_compose_data_services():
    db = SERVICES["db"]
    assert db["image"] == "postgres:16"
    assert "pgdata:/var/lib/postgresql/data" in db["volumes"]
    command = " ".join(db["command"])
    assert "archive_mode=on" in command and "wal_level=replica" in command
    assert "pgwal:/var/lib/postgresql/wal-archive" in db["volumes"]
    redis = SERVICES["redis"]
    command = redis["command"]
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert command[command.index("--appendonly") + 1] == "yes"
    assert set(COMPOSE["volumes"]) == {"pgdata", "pgwal", "redisdata", "media", "beat"}


def test_compose_every_long_running_service_has_a_health_check():
    for name in LONG_RUNNING:
        check = SERVICES[name].get("healthcheck")
        assert check and check.get("test"), f"{name} has no health check"
        assert not check.get("disable"), name
    assert "/healthz" in " ".join(SERVICES["web"]["healthcheck"]["test"])
    for name in ("worker", "worker-packs"):
        argv = healthcheck_argv(name)
        assert "inspect ping -d celery@$HOSTNAME" in argv[-1], argv
    # the one-shot is waited for by its exit code instead
    assert SERVICES["migrate"]["healthcheck"] == {"disable": True}


# --- Dockerfile and .dockerignore, read ---------------------------------------------------------


def test_dockerfile():
    text = (ROOT / "Dockerfile").read_text()
    instructions = [line.split()[0] for line in text.splitlines() if line and line[0].isupper()]
    assert re.search(r"^FROM python:3\.11-slim-bookworm$", text, re.M)
    for package in (
        "libpango-1.0-0",
        "libpangoft2-1.0-0",
        "libharfbuzz0b",
        "libfontconfig1",
        "shared-mime-info",
    ):
        assert package in text, package
    # non-editable: pyproject installs the dependencies; the source is copied and on PYTHONPATH
    assert 'RUN pip install ".${EXTRAS}"' in text and "pip install -e" not in text
    assert "PYTHONPATH=/app" in text
    assert "collectstatic --noinput" in text
    # the dependency layer comes before the source, and the user switch after the last RUN
    assert text.index("COPY pyproject.toml README.md ./") < text.index("COPY . .")
    assert instructions.index("USER") > max(i for i, x in enumerate(instructions) if x == "RUN")
    assert re.search(r"^USER riskreg$", text, re.M)
    ignored = (ROOT / ".dockerignore").read_text().split()
    for path in (".venv", "var", ".git", ".env"):
        assert path in ignored, path


def test_docs_explain_every_environment_variable():
    documented = (ROOT / "docs" / "deploy.md").read_text()
    variables = re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)
    assert len(variables) > 20
    missing = [name for name in variables if f"`{name}`" not in documented]
    assert not missing, f"docs/deploy.md does not explain: {missing}"


# --- production settings, loaded in a fresh interpreter ----------------------------------------

SETTINGS_PROBE = """
import json
from django.conf import settings
print(json.dumps({
    "storages": settings.STORAGES,
    "caches": settings.CACHES,
    "session_engine": settings.SESSION_ENGINE,
    "middleware": settings.MIDDLEWARE,
    "redirect_exempt": settings.SECURE_REDIRECT_EXEMPT,
    "static_dirs": [str(path) for path in settings.STATICFILES_DIRS],
    "static_root": str(settings.STATIC_ROOT),
    "media_root": str(settings.MEDIA_ROOT),
    "debug": settings.DEBUG,
    "broker": settings.CELERY_BROKER_URL,
}))
"""


def production_settings(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter and fixed code
        [sys.executable, "-c", SETTINGS_PROBE],
        cwd=ROOT,
        env=production_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_defaults():
    result = production_settings()
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["storages"] == {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    assert loaded["caches"]["default"]["BACKEND"].endswith("LocMemCache")
    assert loaded["session_engine"] == "django.contrib.sessions.backends.db"
    middleware = loaded["middleware"]
    assert middleware.index("whitenoise.middleware.WhiteNoiseMiddleware") == (
        middleware.index("django.middleware.security.SecurityMiddleware") + 1
    )
    assert loaded["redirect_exempt"] == [r"^healthz$"]
    # pack fonts are read through the finders, from the source tree, not STATIC_ROOT
    assert loaded["static_dirs"] == [str(ROOT / "static")]


def env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as compose's env_file reads them (an empty value is set, to "")."""
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value
    return pairs


def test_production_settings_load_from_env_example_as_compose_passes_it():
    """.env.example copied to .env, with only the secrets filled in, under the compose file's own
    environment: what a first `docker compose up` gives every app container."""
    env = env_file(ROOT / ".env.example")
    env.update(
        {
            key: value.replace("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}", "pw")
            for key, value in COMPOSE["x-env"].items()
        }
    )
    env.update(DJANGO_SECRET_KEY=secrets.token_urlsafe(50), POSTGRES_PASSWORD="pw")
    result = production_settings(**env)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["debug"] is False
    assert loaded["broker"] == "redis://redis:6379/0"
    assert loaded["session_engine"] == "django.contrib.sessions.backends.cached_db"
    assert loaded["media_root"] == "/app/var/media"
    # the empty DJANGO_STATIC_ROOT= falls back to the default, never to the working directory
    assert loaded["static_root"] == str(ROOT / "var" / "staticfiles")


def test_production_settings_redis_cache_and_s3_storage():
    result = production_settings(
        DJANGO_CACHE_URL="redis://redis:6379/1",
        DJANGO_MEDIA_STORAGE="s3",
        DJANGO_S3_BUCKET="riskreg-packs",
        DJANGO_S3_ENDPOINT_URL="https://objects.example.org",
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["caches"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert loaded["caches"]["default"]["LOCATION"] == "redis://redis:6379/1"
    assert loaded["session_engine"] == "django.contrib.sessions.backends.cached_db"
    default = loaded["storages"]["default"]
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    assert default["OPTIONS"]["bucket_name"] == "riskreg-packs"
    assert default["OPTIONS"]["endpoint_url"] == "https://objects.example.org"
    assert default["OPTIONS"]["file_overwrite"] is False


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DJANGO_MEDIA_STORAGE": "s3"}, "DJANGO_MEDIA_STORAGE=s3 needs DJANGO_S3_BUCKET"),
        ({"DJANGO_MEDIA_STORAGE": "ftp"}, "DJANGO_MEDIA_STORAGE must be filesystem or s3"),
        ({"DJANGO_CACHE_URL": "memcached://x:11211"}, "DJANGO_CACHE_URL must be a redis://"),
    ],
)
def test_production_settings_refuse_bad_values_by_name(env, message):
    result = production_settings(**env)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr


# --- the topology, run ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Processes:
    """Every process the test starts, stopped at the end whatever happened."""

    directory: Path
    started: list[Process] = field(default_factory=list)

    def start(self, name: str, argv: list[str], env: dict) -> Process:
        log = self.directory / f"{name}.log"
        with open(log, "w") as handle:
            popen = subprocess.Popen(  # noqa: S603 - our own binaries, fixed arguments
                argv,
                cwd=ROOT,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(name, popen, log)
        self.started.append(process)
        return process

    def stop(self, process: Process, timeout: float = 30) -> int:
        """A warm shutdown (SIGTERM to the main process, as docker stop does); the whole
        process group is killed if it does not finish in time."""
        if process.popen.poll() is None:
            process.popen.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.popen.wait(timeout=timeout)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.popen.pid, signal.SIGKILL)  # children left behind, if any
        process.popen.wait()
        return process.popen.returncode

    def stop_all(self) -> None:
        for process in reversed(self.started):
            self.stop(process, timeout=10)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.output()[-4000:]}" for p in self.started)


def run(argv: list[str], env: dict, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own binaries, fixed arguments
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class Browser:
    """One person's browser behind the TLS proxy: ``X-Forwarded-Proto: https`` on every request
    and cookies kept by hand (they are Secure, which a client on plain HTTP would not return)."""

    def __init__(self):
        self.cookies: dict[str, str] = {}
        self.set_cookie_lines: list[str] = []

    def request(self, port: int, method: str, path: str, form: dict | None = None,
                proxied: bool = True) -> Response:  # fmt: skip
        headers = {"Host": f"127.0.0.1:{port}"}
        if proxied:
            headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            # what a browser sends on an HTTPS form post; CSRF checks both
            headers["Origin"] = f"https://127.0.0.1:{port}"
            headers["Referer"] = f"https://127.0.0.1:{port}{path}"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            response = Response(raw.status, raw.msg, raw.read())
        finally:
            conn.close()
        for line in response.headers.get_all("Set-Cookie") or []:
            self.set_cookie_lines.append(line)
            for name, morsel in SimpleCookie(line).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def get(self, port: int, path: str, **kwargs) -> Response:
        return self.request(port, "GET", path, **kwargs)

    def post(self, port: int, path: str, form: dict) -> Response:
        return self.request(port, "POST", path, form=form)


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STATUS_URL = re.compile(r'hx-get="(/o/[\w-]+/reports/(\d+)/status/)"')


def csrf_token(response: Response) -> str:
    match = CSRF_INPUT.search(response.text)
    assert match, f"no CSRF token in the form:\n{response.text[:2000]}"
    return match[1]


def healthz(port: int) -> Response | None:
    try:
        return Browser().get(port, "/healthz", proxied=False)
    except OSError:
        return None


@pytest.fixture
def processes(tmp_path):
    started = Processes(tmp_path)
    yield started
    started.stop_all()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not redis_answers(), reason="Redis is not running on 127.0.0.1:6379")
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a shared PostgreSQL")
def test_two_web_processes_a_worker_and_beat_share_everything(processes, tmp_path):
    media, static, beat_dir = (tmp_path / name for name in ("media", "static", "beat"))
    for directory in (media, static, beat_dir):
        directory.mkdir()
    env = production_env(
        DATABASE_URL=database_url(),
        CELERY_BROKER_URL=BROKER,
        DJANGO_CACHE_URL=BROKER,  # its own keys ("riskreg:..."), beside the queues
        DJANGO_MEDIA_ROOT=str(media),
        DJANGO_STATIC_ROOT=str(static),
        GUNICORN_WORKERS="1",
        RISKREG_BEAT_HEARTBEAT=str(beat_dir / "heartbeat"),
    )

    # What the image build and the first run do: collectstatic, then create_org and add_member.
    for argv in (
        ["python", "manage.py", "collectstatic", "--noinput"],
        ["python", "manage.py", "create_org", "topo", "--name", "Topology Test Authority"],
        ["python", "manage.py", "add_member", "--org", "topo", "--email",
         "coordinator@topology.test", "--role", "coordinator", "--password",
         "Kestrel-Harbour-Lantern-42"],
        ["celery", "-A", "riskreg", "purge", "-f", "-Q", "celery,packs"],
    ):  # fmt: skip
        result = run(argv, env)
        assert result.returncode == 0, f"{argv}:\n{result.stdout}\n{result.stderr}"
    organisation = Organisation.objects.get(slug="topo")
    RiskFactory(
        register=Register.objects.get(organisation=organisation, slug="corporate"),
        ref="TOPO1",
        title="Two replicas disagree about a session",
        positions={"current": (4, 4)},
    )

    ports = [free_port(), free_port()]
    webs = [
        processes.start(
            f"web{n}",
            ["gunicorn", "--config", "gunicorn.conf.py"],
            {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        )
        for n, port in enumerate(ports, start=1)
    ]
    worker = processes.start(
        "worker",
        ["celery", "-A", "riskreg", "worker", "--queues", "celery,packs", "--loglevel", "INFO",
         "--concurrency", "1", "--prefetch-multiplier", "1",
         "--soft-time-limit", "300", "--time-limit", "360"],
        env,
    )  # fmt: skip

    def up(port: int) -> bool:
        response = healthz(port)
        return response is not None and response.status == 200

    for web, port in zip(webs, ports, strict=True):
        assert wait_for(lambda port=port: up(port), timeout=60), processes.logs()
        assert web.popen.poll() is None, web.output()
    assert wait_for(lambda: "ready." in worker.output(), timeout=60), processes.logs()

    # /healthz on both, as the load balancer calls it: plain HTTP, no cookies, no redirect
    for port in ports:
        response = healthz(port)
        assert response.status == 200, response.text
        assert json.loads(response.body) == {"database": "ok", "broker": "ok"}
        assert "no-store" in response.headers["Cache-Control"]
        assert response.headers.get_all("Set-Cookie") is None
    # ... while everything else is sent to HTTPS (production's SECURE_SSL_REDIRECT)
    plain = Browser().get(ports[0], "/login/", proxied=False)
    assert plain.status == 301
    assert plain.headers["Location"] == f"https://127.0.0.1:{ports[0]}/login/"

    # the compose health checks, exactly as written, against these processes
    hostname_env = {**env, "HOSTNAME": socket.gethostname()}
    for port in ports:
        check = run(healthcheck_argv("web"), {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"})
        assert check.returncode == 0, check.stderr
    check = run(healthcheck_argv("worker"), hostname_env)
    assert check.returncode == 0, f"{check.stdout}\n{check.stderr}"
    assert "pong" in check.stdout

    # sign in on web 1 through the form
    browser = Browser()
    login = browser.get(ports[0], "/login/")
    assert login.status == 200, login.text[:2000]
    signed_in = browser.post(
        ports[0],
        "/login/",
        {
            "csrfmiddlewaretoken": csrf_token(login),
            "login": "coordinator@topology.test",
            "password": "Kestrel-Harbour-Lantern-42",
            "next": "",
        },
    )
    assert signed_in.status == 302, signed_in.text[:3000]
    assert "sessionid" in browser.cookies
    session_cookie = next(line for line in browser.set_cookie_lines if "sessionid=" in line)
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie, session_cookie

    # static files from gunicorn itself: hashed names, cached for ever
    stylesheet = re.search(r'href="(/static/css/riskreg\.[0-9a-f]{12}\.css)"', login.text)
    assert stylesheet, login.text[:2000]
    css = Browser().get(ports[1], stylesheet[1])
    assert css.status == 200 and b"{" in css.body
    assert "immutable" in css.headers["Cache-Control"], css.headers["Cache-Control"]

    # request a pack through the Reports page on web 1
    reports = browser.get(ports[0], "/o/topo/reports/")
    assert reports.status == 200, reports.text[:2000]
    requested = browser.post(
        ports[0],
        "/o/topo/reports/",
        {
            "csrfmiddlewaretoken": csrf_token(reports),
            "kind": "quarterly",
            "edition": "full",
            "as_of": timezone.localdate().isoformat(),
        },
    )
    assert requested.status == 302, requested.text[:3000]
    assert requested.headers["Location"] == "/o/topo/reports/"

    # web 2, same session: the pack is listed, built by the worker, and downloads
    listed = browser.get(ports[1], "/o/topo/reports/")
    assert listed.status == 200, listed.text[:2000]
    match = STATUS_URL.search(listed.text)
    assert match, f"web 2 does not list the queued pack:\n{listed.text[:3000]}"
    status_url, pk = match[1], match[2]

    def ready() -> bool:
        page = browser.get(ports[1], status_url)
        assert page.status == 200, page.text
        assert "Failed" not in page.text, page.text + processes.logs()
        return "Draft v1" in page.text  # built, for a coordinator to read and release

    assert wait_for(ready, timeout=180, interval=1), processes.logs()
    download = browser.get(ports[1], f"/o/topo/reports/{pk}/download/")
    assert download.status == 200, download.text[:2000]
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.body.startswith(b"%PDF")
    assert "reporting.build_pack" in worker.output() and "succeeded" in worker.output()
    assert list(media.rglob("*.pdf")), "the pack is not in the shared media directory"

    # beat: starts, ticks (its heartbeat file), passes its compose health check, stops cleanly
    beat = processes.start(
        "beat",
        ["celery", "-A", "riskreg", "beat", "--loglevel", "INFO",
         "--schedule", str(beat_dir / "celerybeat-schedule")],
        env,
    )  # fmt: skip
    assert wait_for(lambda: (beat_dir / "heartbeat").exists(), timeout=60), beat.output()
    check = run(healthcheck_argv("beat"), env)
    assert check.returncode == 0, check.stderr
    assert processes.stop(beat) == 0, beat.output()
    assert "beat: Starting..." in beat.output()
    assert "Traceback" not in beat.output(), beat.output()

    # every process stops on SIGTERM as docker stop sends it, without losing anything
    for process in (*webs, worker):
        assert processes.stop(process) == 0, process.output()
    for process in processes.started:
        assert "Traceback" not in process.output(), process.output()

    # and the web health check fails once the web is gone
    check = run(healthcheck_argv("web"), {**env, "GUNICORN_BIND": f"127.0.0.1:{ports[0]}"})
    assert check.returncode != 0
