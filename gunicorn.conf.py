"""gunicorn settings for the ``web`` service (read from the working directory, or ``-c``).

Every value can be changed from the environment without rebuilding the image; docs/deploy.md
lists them. https://docs.gunicorn.org/en/stable/settings.html
"""

import os

wsgi_app = "riskreg.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Sync workers: pages are short database reads and PDFs are built by the worker, never in a
# request. A page is mostly Python work in the worker (bench/load.py measures 45-75 ms of a
# worker's CPU a page on our 2-core machines, against quiet page times of 60-120 ms with their
# queries), so a worker per core, plus one to use a core while another waits for PostgreSQL, is
# what a host's CPUs can run at once: 3 on 2 cores (decision 69).
# gunicorn's "2 x cores + 1" suits requests that mostly wait; here more workers only share the
# same cores, each request slower, and cost memory. Add replicas (or cores) for more.
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
# Threads per worker (gthread above 1): they overlap only the waits for the database, under one
# interpreter lock, so 1 unless a host's pages wait much longer on a remote database.
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A request slower than this is a bug (spreadsheet imports of 20,000 rows take a few seconds).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle workers now and then so a slow leak never grows; the jitter keeps them from all
# restarting at once. Not often: a new worker costs about 38 pages' CPU (loading Django and the
# application, then the first drawing of each kind of page: about 2.5 s against 65 ms a page,
# measured together), 4% of the workers' CPU at 1,000 requests and under 1% at 5,000 (README,
# "Workers on a 2-core host").
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
# Docker's /tmp may be a slow overlay; the workers' heartbeat files belong in memory.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# Logs to stdout/stderr for the container runtime to collect.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The addresses of the TLS-terminating proxy whose X-Forwarded-* headers gunicorn believes;
# Django reads X-Forwarded-Proto through SECURE_PROXY_SSL_HEADER either way, so the web port must
# only be reachable through that proxy.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """Once the worker has loaded Django and the application, keep those objects out of the
    garbage collector's full passes: each walked them all, about one request in sixteen paid
    it, and that set the API's p95 (212 ms against a 55 ms median; 138 ms with this, bench/api.py
    at calibration 150 ms). https://docs.python.org/3/library/gc.html#gc.freeze"""
    import gc

    gc.collect()
    gc.freeze()
