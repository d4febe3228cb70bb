"""Every Redis connection of the app comes from here, built from REDIS_URL.

REDIS_URL names either one Redis server, as redis-py reads it (``redis://[:password@]host:port/db``,
``rediss://``, ``unix://``), or the Sentinels that watch a replicated Redis, in the form Celery's
broker takes (kombu's Redis transport), one address per Sentinel separated by ``;``::

    sentinel://[:password@]host:port[/db];sentinel://host:port;sentinel://host:port

with the name the Sentinels monitor the master under in CRM_REDIS_MASTER_NAME. The database
number and the password are read from the first address, as kombu and Celery's result backend
read them; the password is the Redis servers' (``requirepass``), the Sentinels themselves are
asked without one. A client made here asks the Sentinels where the master is when it connects
and again when that connection fails (redis-py's SentinelConnectionPool), so after a failover
the next command reaches the promoted replica without a restart.

Redis has three users, each wanting its own shape of the same setting:

- the app's own keys (the routing mark, the intake limits, the queue depth, /readyz): ``connect``
  and ``shared`` return a redis-py client of the master;
- Celery (broker and result backend): ``celery_transport_options``, beside the URL unchanged;
- Flask-Limiter (login and other per-user limits, through the ``limits`` package):
  ``limits_storage``, its ``redis+sentinel://`` URI and options; the intake limits count in the
  same store through ``limits_client``.

Whether REDIS_URL names Sentinels is asked of ``is_sentinel`` only; the master name's default
is config.DEFAULT_REDIS_MASTER_NAME, read once into CRM_REDIS_MASTER_NAME.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urlsplit

import redis
from redis.sentinel import Sentinel

SENTINEL_SCHEME = "sentinel"
DEFAULT_SENTINEL_PORT = 26379
# Sentinels are asked where the master is at every (re)connection: a Sentinel that does not
# answer within this must not hold the request up; the next one is asked.
SENTINEL_TIMEOUT = 1.0


def is_sentinel(url: str | None) -> bool:
    return url is not None and urlsplit(url.split(";", 1)[0].strip()).scheme == SENTINEL_SCHEME


@dataclass(frozen=True)
class SentinelURL:
    nodes: tuple[tuple[str, int], ...]
    db: int = 0
    username: str | None = None
    password: str | None = None

    def redis_kwargs(self) -> dict[str, Any]:
        """What the master's connections need besides its address."""
        kwargs: dict[str, Any] = {"db": self.db}
        if self.username:
            kwargs["username"] = self.username
        if self.password:
            kwargs["password"] = self.password
        return kwargs


def parse_sentinel_url(url: str) -> SentinelURL:
    """The Sentinels of a ``sentinel://…;sentinel://…`` URL (ValueError on anything else)."""
    nodes: list[tuple[str, int]] = []
    first = None
    for part in (p.strip() for p in url.split(";")):
        if not part:
            continue
        parsed = urlsplit(part)
        if parsed.scheme != SENTINEL_SCHEME or not parsed.hostname:
            raise ValueError(f"not a sentinel://host:port address: {parsed.scheme}://{parsed.hostname}")
        nodes.append((parsed.hostname, parsed.port or DEFAULT_SENTINEL_PORT))
        first = first or parsed
    if first is None:
        raise ValueError("no Sentinel address in REDIS_URL")
    path = first.path.strip("/")
    if path and not path.isdigit():
        raise ValueError("the database after a Sentinel's address must be a number")
    return SentinelURL(tuple(nodes), int(path or 0),
                       unquote(first.username) if first.username else None,
                       unquote(first.password) if first.password else None)


def connect(url: str, master_name: str, **options: Any) -> redis.Redis:
    """A new client of the Redis master: `url` as REDIS_URL, `options` redis-py connection
    options (socket_timeout, socket_connect_timeout…)."""
    if not is_sentinel(url):
        return redis.Redis.from_url(url, **options)
    address = parse_sentinel_url(url)
    sentinel_options = {k: v for k, v in options.items() if k.startswith("socket_")}
    sentinels = Sentinel(list(address.nodes),
                         sentinel_kwargs={"socket_timeout": SENTINEL_TIMEOUT,
                                          "socket_connect_timeout": SENTINEL_TIMEOUT,
                                          **sentinel_options})
    return sentinels.master_for(master_name, **address.redis_kwargs(), **options)


@lru_cache(maxsize=16)
def shared(url: str, master_name: str, timeout: float) -> redis.Redis:
    """One client per process for these settings (its pool reconnects after a fork and after
    a failover), for the short calls of the app: the routing mark, the queue depth, /readyz."""
    return connect(url, master_name, socket_connect_timeout=timeout, socket_timeout=timeout)


def for_app(config: Any, timeout: float = 0.5) -> redis.Redis:
    """The shared client of the app whose config this is (REDIS_URL must be set)."""
    return shared(config["REDIS_URL"], config["CRM_REDIS_MASTER_NAME"], timeout)


def limits_client(config: Any) -> redis.Redis | None:
    """A client of the Redis Flask-Limiter counts in (RATELIMIT_STORAGE_URI), for the intake
    limits' own Lua calls, with the limits' socket timeouts; None when it counts in memory.
    The URI config.py made from REDIS_URL (limits_storage) is REDIS_URL's Redis, through its
    Sentinels if it names them; a URI set by hand names one server."""
    uri = config.get("RATELIMIT_STORAGE_URI") or "memory://"
    options = config.get("RATELIMIT_STORAGE_OPTIONS", {})
    timeouts = {k: v for k, v in options.items() if k.startswith("socket_")}
    url, master_name = config.get("REDIS_URL"), config["CRM_REDIS_MASTER_NAME"]
    if url and uri == limits_storage(url, master_name, options)[0]:
        return connect(url, master_name, **timeouts)
    if urlsplit(uri).scheme in ("redis", "rediss", "unix"):
        return connect(uri, master_name, **timeouts)
    return None


def celery_transport_options(url: str, master_name: str) -> dict[str, Any]:
    """What Celery's broker and result backend need beside a Sentinel URL (nothing for a
    plain one): kombu's SentinelChannel and Celery's SentinelBackend read `master_name` and
    pass `sentinel_kwargs` to redis-py's Sentinel."""
    if not is_sentinel(url):
        return {}
    return {"master_name": master_name,
            "sentinel_kwargs": {"socket_timeout": SENTINEL_TIMEOUT,
                                "socket_connect_timeout": SENTINEL_TIMEOUT}}


def limits_storage(url: str, master_name: str, options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Flask-Limiter's RATELIMIT_STORAGE_URI and RATELIMIT_STORAGE_OPTIONS for REDIS_URL.

    limits reads Sentinels as ``redis+sentinel://host:port,host:port/master_name``; the
    database and the password go in the options (its URI has no room for a database, and a
    password there would be sent to the Sentinels too). Counters are read from the master
    only (``use_replicas``: a replica may lag behind the count)."""
    if not is_sentinel(url):
        return url, options
    address = parse_sentinel_url(url)
    nodes = ",".join(f"{host}:{port}" for host, port in address.nodes)
    sentinel_kwargs = {"socket_timeout": SENTINEL_TIMEOUT, "socket_connect_timeout": SENTINEL_TIMEOUT,
                       # limits would otherwise send the master's credentials to the Sentinels
                       "username": None, "password": None}
    return (f"redis+sentinel://{nodes}/{master_name}",
            {**options, **address.redis_kwargs(), "use_replicas": False,
             "sentinel_kwargs": sentinel_kwargs})
