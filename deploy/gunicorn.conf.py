"""gunicorn settings for lifecert: ``gunicorn -c deploy/gunicorn.conf.py -b 127.0.0.1:8000 app:app``.

deploy/supervisord.conf runs it this way. Two choices matter for operations:

* **sync workers behind nginx's request buffering.** nginx reads every request body
  completely (memory, then a temp file) before it opens the upstream request, so a
  phone on a bad line, or an attacker who declares 1 MiB and sends 100 KiB, holds an
  nginx connection (cheap, event-driven) and never a gunicorn worker. A worker only
  ever sees a whole request at loopback speed. The slowloris drill
  (tests/e2e/drills/test_slowloris.py) checks this with real nginx and gunicorn.
* **workers die with their master.** Each worker asks the kernel for SIGKILL when its
  parent dies (``PR_SET_PDEATHSIG``). Without it a ``kill -9`` of the master leaves
  the workers holding the listening socket (a sync worker only notices a new parent
  between requests, and a busy one not at all), and the restarted master cannot bind
  the port (tests/e2e/drills/test_supervision.py).
"""

from __future__ import annotations

import ctypes
import os
import signal

wsgi_app = "app:app"
bind = ["127.0.0.1:8000"]  # nginx.conf's upstream; the command line's -b replaces it
workers = 2  # CPU-bound handlers on a 2-core host; raise with -w on bigger ones
worker_class = "sync"
timeout = 60  # the longest request: a 25 MB video streamed to the object store
graceful_timeout = 20
keepalive = 5  # nginx keeps upstream connections open (keepalive 16)
control_socket_disable = True  # nothing uses gunicorn's control socket; one less file to clean up
accesslog = None  # nginx writes the access log
errorlog = "-"

PR_SET_PDEATHSIG = 1


def post_fork(server, worker) -> None:  # gunicorn hook, runs in the new worker
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        server.log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %s", ctypes.get_errno())
    if os.getppid() != server.pid:  # the master died between fork() and prctl()
        os._exit(1)
