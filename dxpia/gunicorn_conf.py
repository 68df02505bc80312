"""gunicorn's settings for dxpia: ``gunicorn -c python:dxpia.gunicorn_conf dxpia.wsgi``.

A module of the package (not ./gunicorn.conf.py, which gunicorn would also pick up unasked from the
working folder), so the same command works from a checkout and from an installed wheel. Every
value can be changed from the environment; a value that cannot be read stops start-up.
"""

import os


def _env_int(name: str, default: int, minimum: int) -> int:
    value = os.environ.get(name, "").strip()
    if value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise SystemExit(f"{name} must be at least {minimum}, not {number}")
    return number


def cpu_count() -> int:
    """The CPUs this process may run on (a container's or taskset's limit, not the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_workers(cpus: int) -> int:
    """gunicorn's own advice, 2 × CPUs + 1 (a pure function). Most requests are short and wait on
    the database, so more processes than CPUs keep the CPUs busy; a PDF render holds one process
    for seconds of CPU, and with this many, pages are still served while every CPU renders."""
    return 2 * cpus + 1


# Loopback unless told otherwise: in production a reverse proxy or load balancer sits in front
# (TLS, buffering slow clients), and DXPIA_BIND names the address it reaches this server on.
bind = os.environ.get("DXPIA_BIND") or f"127.0.0.1:{_env_int('DXPIA_PORT', 8000, 1)}"
workers = _env_int("DXPIA_WORKERS", default_workers(cpu_count()), 1)
worker_class = "sync"

# A request may take this long before its worker is killed (the client gets a 502 from the proxy).
# The demonstration report renders in 1.5–4 s, but a report at the size limit takes up to 15 s on
# its own (README, "Limits and guarantees") and several at once share the CPUs: 120 s leaves room
# for that on a busy server and still frees a worker stuck for good.
timeout = _env_int("DXPIA_TIMEOUT", 120, 10)
# On a restart or TERM, requests under way (a render) get this long to finish.
graceful_timeout = _env_int("DXPIA_GRACEFUL_TIMEOUT", 30, 1)
# A load balancer reuses its connections; a little longer than gunicorn's 2 s default.
keepalive = 5
# A fresh process now and then, staggered, bounds whatever WeasyPrint and Pango keep growing.
max_requests = _env_int("DXPIA_MAX_REQUESTS", 1000, 0)
max_requests_jitter = max_requests // 10

# The master imports the app (Django, WeasyPrint: about 1 s of CPU) and warms it up once; each
# worker, the first ones and every fresh one after max_requests, is a fork of it that imports
# nothing. Each importing and warming itself instead, the replacements took a busy server's CPU
# from its requests (README, "Under load"). A HUP only forks new workers of the same app (this
# module is not read again either): new code, settings or static files need a restart.
preload_app = True

# The request log is dxpia's own (dxpia.request on stderr: method, path, status, duration, user),
# so gunicorn's access log would say everything twice; DXPIA_ACCESS_LOG=- prints it on stdout
# (or names a file), as key=value pairs that also time streamed downloads to their last byte.
accesslog = os.environ.get("DXPIA_ACCESS_LOG") or None
access_log_format = (
    'event=access method=%(m)s path="%(U)s" status=%(s)s duration_ms=%(M)s bytes=%(B)s remote=%(h)s'
)
errorlog = "-"
loglevel = os.environ.get("DXPIA_GUNICORN_LOG_LEVEL", "info")

# gunicorn 25+ opens a control socket in ~/.gunicorn by default: two servers on one machine would
# fight over it, and nothing here uses it.
control_socket_disable = True


def when_ready(server):
    """In the master, after the app is loaded and before the first fork: warm it up (dxpia/warm_up.py),
    then put everything it holds out of the cyclic garbage collector's reach (gc.freeze), so that a
    worker's collections neither scan nor copy the objects every worker inherits."""
    import gc

    from django.conf import settings

    if not settings.configured:  # preload_app turned off: the master has no app to warm up
        return
    from dxpia.warm_up import warm_up

    warm_up()
    gc.collect()
    gc.freeze()


def pre_fork(server, worker):
    """No database connection crosses a fork: a socket shared by two processes would mix their
    queries. Nothing opens one in the master; this keeps it so if something ever does."""
    from django.conf import settings

    if not settings.configured:  # preload_app turned off: the master has no app, and no connection
        return
    from django.db import connections

    connections.close_all()
