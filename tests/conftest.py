import fcntl
import inspect
import os
import tempfile

import pytest
from django.conf import settings
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations
from django.db.backends.signals import connection_created
from pytest_django import fixtures as pytest_django_fixtures

from registers.models import Role
from tests import factories

_truncate_flush = PostgresOperations.sql_flush
MADE_BY_MIGRATING = {"django_content_type", "auth_permission"}


def _delete_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
    """Empty the tables with DELETE, not TRUNCATE, after each transactional test (browser tests,
    live server, workers): the same rows go (every Django table; sequences are not reset either
    way), but TRUNCATE makes every one of the 68 tables a new file, about 2 s a test under load,
    where DELETE of the few rows a test leaves takes milliseconds. Every foreign key is DEFERRABLE
    INITIALLY DEFERRED, so the order does not matter; the flush runs in one transaction.

    Content types and permissions stay: they are what migrating made (no test makes any), the
    flush's post_migrate signal would only make them again, one query per model (about 0.4 s a
    test), and with them kept their ids no longer change between tests."""
    if reset_sequences or allow_cascade or not tables:
        return _truncate_flush(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
    return [
        "SET CONSTRAINTS ALL DEFERRED;",
        *(
            f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};"
            for table in tables
            if table not in MADE_BY_MIGRATING
        ),
    ]


PostgresOperations.sql_flush = _delete_flush


# The copied databases below lean on two of pytest-django's internals (4.11 to 4.14, the range in
# pyproject.toml): its own django_db_setup as a plain generator (``__wrapped__``, called with the
# same arguments) and ``_get_databases_for_setup``. Where either is missing or its arguments
# differ, django_db_setup is not overridden at all: pytest-django's own runs, every worker
# migrating its own database, slower and otherwise the same.
_OWN_SETUP_ARGUMENTS = (
    "request",
    "django_test_environment",
    "django_db_blocker",
    "django_db_use_migrations",
    "django_db_keepdb",
    "django_db_createdb",
    "django_db_modify_db_settings",
)


def _pytest_django_internals():
    own_setup = getattr(pytest_django_fixtures.django_db_setup, "__wrapped__", None)
    databases_for_setup = getattr(pytest_django_fixtures, "_get_databases_for_setup", None)
    if not (callable(own_setup) and callable(databases_for_setup)):
        return None
    try:
        arguments = tuple(inspect.signature(own_setup).parameters)
    except (TypeError, ValueError):
        return None
    if arguments != _OWN_SETUP_ARGUMENTS:
        return None
    return own_setup, databases_for_setup


_INTERNALS = _pytest_django_internals()


def _copying_django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """``--create-db --reuse-db`` (CI) on PostgreSQL with xdist: the first worker migrates one
    database for the run and each worker's database is a copy of it (``CREATE DATABASE ...
    TEMPLATE``), where each worker migrated its own from nothing, every migration twice over. The
    copy is the migrated database byte for byte, content types and permissions included, so
    nothing is migrated on it. Anything else (no xdist, SQLite, ``--reuse-db`` alone,
    ``--no-migrations``) is pytest-django's own ``django_db_setup``."""
    own_setup, databases_for_setup = _INTERNALS
    if (
        django_db_createdb
        and django_db_keepdb
        and django_db_use_migrations
        and os.environ.get("PYTEST_XDIST_WORKER")
        # A test with serialized_rollback needs the contents serialized at setup: none has one.
        and not databases_for_setup(request.session.items)[1]
    ):
        with django_db_blocker.unblock():
            copied = _copy_of_this_runs_database(request.config.option.verbose)
        if copied:
            yield  # kept, as --reuse-db keeps it: nothing to tear down
            return
    yield from own_setup(
        request,
        django_test_environment,
        django_db_blocker,
        django_db_use_migrations,
        django_db_keepdb,
        django_db_createdb,
        django_db_modify_db_settings,
    )


if _INTERNALS is not None:
    django_db_setup = pytest.fixture(scope="session", name="django_db_setup")(
        _copying_django_db_setup
    )


def _copy_of_this_runs_database(verbosity: int) -> bool:
    from django.db import connections

    connection = connections["default"]
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")  # the same in every worker of one run
    if connection.vendor != "postgresql" or not run:
        return False
    worker = os.environ["PYTEST_XDIST_WORKER"]
    test_settings = connection.settings_dict["TEST"]
    name = test_settings["NAME"]  # test_<NAME>_gw0: pytest-django's suffix is already on it
    template = f"{name.removesuffix(f'_{worker}')}_template"
    quote = connection.ops.quote_name
    lock_path = os.path.join(tempfile.gettempdir(), f"riskreg-{template}.lock")
    with open(lock_path, "a+") as lock:
        # One worker at a time: the first of this run migrates the template; every worker copies
        # it while no other connection is open on it (PostgreSQL refuses a copy otherwise).
        fcntl.flock(lock, fcntl.LOCK_EX)
        lock.seek(0)
        if lock.read() != run:
            original = connection.settings_dict["NAME"]
            test_settings["NAME"] = template
            try:
                connection.creation.create_test_db(
                    verbosity=verbosity, autoclobber=True, serialize=False, keepdb=False
                )
            finally:
                connection.close()
                test_settings["NAME"] = name
                connection.settings_dict["NAME"] = original
                settings.DATABASES[connection.alias]["NAME"] = original
            lock.seek(0)
            lock.truncate()
            lock.write(run)
            lock.flush()
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(name)}")
            cursor.execute(f"CREATE DATABASE {quote(name)} TEMPLATE {quote(template)}")
    # Where pytest-django's create_test_db would leave the connection: on the worker's database.
    connection.close()
    settings.DATABASES[connection.alias]["NAME"] = name
    connection.settings_dict["NAME"] = name
    return True


# The files that take longest, slowest first (per-file totals of `--durations` on two workers):
# handed to the workers before everything else (with --no-loadscope-reorder in pyproject.toml),
# so the two finish together rather than one running the restore drill or the isolation walk
# alone at the end. A file not listed keeps its place after these.
SLOW_FIRST = (
    # First, though not the slowest: it needs no test database (its migrations run on SQLite in a
    # subprocess), so the worker that takes it works while the other migrates the run's template
    # database, where it waited for that migration (about 18 s) before.
    "tests/test_sqlite_demo.py",
    "tests/test_restore_drill.py",
    "tests/test_isolation.py",
    "tests/registers/test_sensitive_walk.py",
    "tests/test_topology.py",
    "tests/browser/test_phones.py",
    "tests/demo/test_seed_demo.py",
    "tests/demo/test_demo_packs.py",
    "tests/reporting/test_round_trip.py",
    "tests/test_admin_accounts.py",
    "tests/test_security.py",
    # Not among the slowest, but the slowest of the files queued last: in a busy full run the
    # deploy check (26 s) ran last.
    "tests/test_deploy_check.py",
)


def _commits_without_waiting_for_disk(sender, connection, **kwargs):
    """The suite's commits need not survive a crash of the server: each waits for its WAL to be
    flushed to disk otherwise (every migration of the run's template database, every request of
    a live-server or browser test, every flush after a transactional test). Set on each of the
    suite's connections as it opens, not as a connection option, so that ``RESET
    synchronous_commit`` (the reminders' run, ``reporting.reminders.sending``) goes back to the
    server's own "on" as in production and its test can tell. The server, and any other
    connection, keep theirs (decision 141)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF")


connection_created.connect(_commits_without_waiting_for_disk)


@pytest.hookimpl(trylast=True)  # after pytest-django's own order, which it keeps within a file
def pytest_collection_modifyitems(items):
    rank = {path: n for n, path in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


def pytest_report_header(config):
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    where = settings.DATABASES["default"].get("HOST") or settings.DATABASES["default"]["NAME"]
    return f"riskreg test database: {engine} ({where})"


@pytest.fixture(autouse=True)
def _fresh_content_type_caches():
    """Transactional tests (browser tests, live server) flush the database and content types come
    back with new ids; Django's and guardian's caches of them must not outlive a test."""
    from django.contrib.contenttypes.models import ContentType
    from guardian.shortcuts import _get_ct_cached

    ContentType.objects.clear_cache()
    _get_ct_cached.cache_clear()
    yield
    ContentType.objects.clear_cache()
    _get_ct_cached.cache_clear()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (locmem in tests): figures cached by an earlier test
    (the exposure series, keyed by organisation id) must not be read by the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def organisation(db):
    return factories.OrganisationFactory()


@pytest.fixture
def other_organisation(db):
    return factories.OrganisationFactory()


@pytest.fixture
def password():
    return factories.PASSWORD


@pytest.fixture
def corporate_register(organisation):
    """The top-level register every organisation is created with."""
    return factories.corporate_register_of(organisation)


@pytest.fixture
def member(organisation):
    """Makes a member of ``organisation`` in a role and returns the user:
    ``member(Role.VIEWER)``, ``member(Role.OWNER, user__full_name="Ann")``."""

    def make(role=Role.OWNER, **fields):
        return factories.MembershipFactory(organisation=organisation, role=role, **fields).user

    return make


@pytest.fixture
def send_queued_email(django_capture_on_commit_callbacks):
    """Run what the code under test queues, here and now, into ``mail.outbox``::

        with send_queued_email():
            client.post(...)

    The transaction's on-commit callbacks run when the block ends (the test's own transaction
    never commits), and the ``riskreg.send_email`` task they queue runs in this process by
    Celery's eager mode instead of waiting in the in-memory broker for a worker that never
    comes. tests/test_topology.py runs a real worker."""
    from contextlib import contextmanager

    from django.core import mail
    from django.test import override_settings

    # Eager mode is the Django setting: the Celery app reads settings live (config_from_object),
    # and its CELERY_TASK_ALWAYS_EAGER wins over anything set on current_app.conf.
    @contextmanager
    def sending():
        with (
            override_settings(CELERY_TASK_ALWAYS_EAGER=True),
            django_capture_on_commit_callbacks(execute=True),
        ):
            yield mail.outbox

    return sending


@pytest.fixture
def eager_tasks(settings):
    """Queued tasks run in the process that queues them, for browser tests whose live server
    commits for real (their e-mails then land in ``mail.outbox``)."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
