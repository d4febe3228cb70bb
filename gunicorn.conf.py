"""gunicorn settings for Changfang CRM: `gunicorn -c gunicorn.conf.py 'crm:create_app()'`."""
import gc
import multiprocessing
import os

from gunicorn.glogging import Logger

from crm.observability.logs import MaskTokens, mask_tokens

bind = os.environ.get("CRM_BIND", "0.0.0.0:8000")
# cores + 1 sync workers. An intake request spends most of its time on the CPU, not waiting on
# PostgreSQL (bench/load_bench.py: ~10 ms CPU of ~12 ms in the app), so more workers than
# cores only queue on the CPU: on 2 cores, 2, 3 and 5 workers gave the same throughput, and 5
# doubled the latency and took 220 MiB more (bench/README.md, "Load").
workers = int(os.environ.get("CRM_WEB_WORKERS", multiprocessing.cpu_count() + 1))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 5000          # recycle workers now and then: bounded memory
max_requests_jitter = 500
accesslog = "-"


class TokenMaskingLogger(Logger):
    """gunicorn's access log with the tokens of /r/<token> and /calendar/<token>.ics masked
    in every atom (request line, path, referer…); its error log filtered the same way."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: mask_tokens(value) if isinstance(value, str) else value
                for key, value in atoms.items()}

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers + self.access_log.handlers:
            handler.addFilter(MaskTokens())


logger_class = TokenMaskingLogger
# CRM_WEB_PRELOAD=1 loads the app once in the master and forks the workers from it: they share
# its pages instead of each importing everything (bench/README.md, "Load": PSS). Then a new
# release needs a restart: a HUP re-forks the old code.
preload_app = os.environ.get("CRM_WEB_PRELOAD") == "1"
forwarded_allow_ips = os.environ.get("CRM_FORWARDED_ALLOW_IPS", "127.0.0.1")


def child_exit(server, worker):
    # prometheus_client multiprocess mode: forget a dead worker's live gauges.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)


def pre_fork(server, worker):
    if preload_app:
        # Keep the loaded app's objects out of the collector's reach, so that a collection
        # in a worker does not write to (and so copy) every page it shares with the master.
        gc.freeze()


def post_fork(server, worker):
    if preload_app:
        # Connections the master may have opened while loading the app must not be shared
        # by the forked workers (SQLAlchemy: "Using Connection Pools with Multiprocessing").
        from crm.extensions import db
        with server.app.wsgi().app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)
        server.log.info("Worker %s forked from the preloaded app", worker.pid)
