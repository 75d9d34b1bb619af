"""Gunicorn settings for production.

Inside the package, so that an installation made from the wheel has them:
`gunicorn -c python:academy.ops.gunicorn_config 'academy:create_app()'`
(deploy/academy-web.service). In a checkout, `gunicorn -c gunicorn.conf.py
wsgi:app` reads the same settings through the top-level gunicorn.conf.py.

Everything can be set from the environment (see README.md, "Deployment"):

    GUNICORN_BIND        address to listen on (default 127.0.0.1:8000; a reverse
                         proxy serving HTTPS sits in front)
    WEB_CONCURRENCY      worker processes (default 2 x cores + 1)
    GUNICORN_THREADS     threads per worker (default 1: sync workers)
    GUNICORN_PRELOAD     1 to import the app once in the master before forking
    GUNICORN_ACCESS_LOG  where access lines go ("-" = stdout, "" = off)
    GUNICORN_MAX_REQUESTS  recycle a worker after this many requests (0 = never)
    FORWARDED_ALLOW_IPS  proxies trusted to say the request came over HTTPS
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
# Off by default: each worker then builds its own app and its own database
# pool, so no connection can ever be shared across a fork. When it is on,
# post_fork below throws away whatever the master opened.
preload_app = os.environ.get("GUNICORN_PRELOAD", "0") == "1"

timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
# Heartbeat files on tmpfs: a worker on a slow or full disk is not killed for it.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# The reverse proxy terminates HTTPS and says so in X-Forwarded-Proto.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Gunicorn's control socket (gunicornc) is off: one fixed path in $HOME would
# be shared by every instance on the machine. GUNICORN_CONTROL_SOCKET turns it on.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
if os.environ.get("ACADEMY_ENV") == "production":
    logger_class = "academy.ops.gunicorn_logging.JsonLogger"


def post_fork(server, worker):  # noqa: ARG001
    """A forked worker must not use database connections its parent opened."""
    # With preload, the master loaded the app (whichever way it was named:
    # `wsgi:app` or `academy:create_app()`) and keeps it as server.app.callable.
    app = getattr(server.app, "callable", None) if preload_app else None
    if app is not None:
        from academy.ops.deploy import dispose_engines

        dispose_engines(app)


def post_worker_init(worker):  # noqa: ARG001
    """The app is loaded: move everything made so far out of the garbage collector's way.

    A page that builds many objects (a cohort of 500 members) triggers full
    collections, each walking every object the app made at start-up too;
    frozen, those are never walked again (about a fifth of the CPU time of
    the cohort page, bench/findings.md).
    """
    import gc

    gc.freeze()
