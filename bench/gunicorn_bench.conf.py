"""gunicorn settings for bench/load.py: the project's own gunicorn.conf.py (what the web service
runs), plus a line per request with the CPU time its worker spent on it.

Each worker appends ``time, cpu ms, method, path, query`` to ``BENCH_CPU_DIR/<pid>.tsv`` after
the response is written (``post_request``); bench/load.py keeps the lines of the measured minute
and sums them per kind of page. The CPU is the handling thread's (``time.thread_time``), so it is
the request's own in a sync worker and in a gthread worker alike; what a worker spends outside
requests (reading the socket, the collector between requests) is in load.py's other figure, the
workers' CPU from the operating system divided by the requests they answered.
"""

import os
import runpy
import time
from pathlib import Path

_project = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
globals().update({name: value for name, value in _project.items() if not name.startswith("__")})

_DIRECTORY = Path(os.environ.get("BENCH_CPU_DIR", "var/bench-cpu"))


def pre_request(worker, req):
    req.bench_cpu_started = time.thread_time()


def post_request(worker, req, environ, resp):
    started = getattr(req, "bench_cpu_started", None)
    if started is None:
        return
    cpu_ms = (time.thread_time() - started) * 1000
    line = f"{time.time():.3f}\t{cpu_ms:.3f}\t{req.method}\t{req.path}\t{req.query}\n"
    with (_DIRECTORY / f"{os.getpid()}.tsv").open("a") as log:
        log.write(line)
