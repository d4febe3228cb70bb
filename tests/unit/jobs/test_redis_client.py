"""REDIS_URL naming Sentinels: every user of Redis is built for them (no server needed here;
tests/integration/test_sentinel_failover.py runs the real thing)."""
import pytest
from celery import Celery
from celery.backends.redis import SentinelBackend
from limits.storage import storage_from_string
from limits.storage.redis_sentinel import RedisSentinelStorage
from redis.sentinel import SentinelConnectionPool

import config as config_module
from config import Config
from crm import create_app, redis_client

SENTINELS = "sentinel://:s3cret@10.0.0.1:26379/2;sentinel://10.0.0.2:26380;sentinel://10.0.0.3"


def test_a_sentinel_url_is_read_as_kombu_and_celery_read_it():
    address = redis_client.parse_sentinel_url(SENTINELS)
    assert address.nodes == (("10.0.0.1", 26379), ("10.0.0.2", 26380), ("10.0.0.3", 26379))
    assert (address.db, address.password) == (2, "s3cret")  # from the first address
    assert redis_client.is_sentinel(SENTINELS)
    assert not redis_client.is_sentinel("redis://10.0.0.1:6379/0") and not redis_client.is_sentinel(None)
    with pytest.raises(ValueError):
        redis_client.parse_sentinel_url("sentinel://10.0.0.1:26379;redis://10.0.0.2:6379")


def test_the_apps_client_asks_the_sentinels_for_the_master():
    client = redis_client.connect(SENTINELS, "crm-master", socket_timeout=0.5)
    pool = client.connection_pool
    assert isinstance(pool, SentinelConnectionPool) and pool.service_name == "crm-master"
    assert pool.connection_kwargs["db"] == 2 and pool.connection_kwargs["password"] == "s3cret"
    assert pool.connection_kwargs["socket_timeout"] == 0.5
    nodes = pool.sentinel_manager.sentinels
    assert [n.connection_pool.connection_kwargs["port"] for n in nodes] == [26379, 26380, 26379]
    # The Sentinels are asked with a timeout and without the servers' password.
    assert all(n.connection_pool.connection_kwargs.get("password") is None
               and n.connection_pool.connection_kwargs["socket_timeout"] == 0.5 for n in nodes)


def test_a_plain_url_is_one_server_as_before():
    client = redis_client.connect("redis://10.0.0.1:6379/3", "ignored", socket_timeout=1)
    assert not isinstance(client.connection_pool, SentinelConnectionPool)
    assert client.connection_pool.connection_kwargs["db"] == 3


def test_config_gives_celery_the_master_name_for_broker_and_results(monkeypatch):
    monkeypatch.setenv("REDIS_URL", SENTINELS)
    monkeypatch.setenv("CRM_REDIS_MASTER_NAME", "crm-master")
    settings = Config().CELERY
    assert settings["broker_url"] == SENTINELS
    assert settings["broker_transport_options"]["master_name"] == "crm-master"
    assert settings["broker_transport_options"]["visibility_timeout"] == 300
    celery = Celery("t")
    celery.config_from_object({**settings, "result_backend": SENTINELS})
    with celery.connection_for_write() as connection:
        assert type(connection.transport).__name__ == "SentinelTransport"
        assert connection.transport_options["master_name"] == "crm-master"
    backend = celery.backend
    assert isinstance(backend, SentinelBackend)
    assert backend._transport_options["master_name"] == "crm-master"
    # (Without a port Celery's backend assumes 6379, kombu 26379: docs/deploy.md says give one.)
    assert [(h["host"], h["port"]) for h in backend.connparams["hosts"]][:2] == [
        ("10.0.0.1", 26379), ("10.0.0.2", 26380)]


def test_flask_limiter_and_the_intake_limits_go_through_the_sentinels(monkeypatch):
    monkeypatch.setenv("REDIS_URL", SENTINELS)
    monkeypatch.setenv("CRM_REDIS_MASTER_NAME", "crm-master")
    config = Config()
    assert config.RATELIMIT_STORAGE_URI == (
        "redis+sentinel://10.0.0.1:26379,10.0.0.2:26380,10.0.0.3:26379/crm-master")
    storage = storage_from_string(config.RATELIMIT_STORAGE_URI, **config.RATELIMIT_STORAGE_OPTIONS)
    assert isinstance(storage, RedisSentinelStorage) and storage.service_name == "crm-master"
    assert storage.use_replicas is False  # counters read where they are written
    master = storage.storage.connection_pool.connection_kwargs
    assert master["db"] == 2 and master["password"] == "s3cret" and master["socket_timeout"] == 1
    assert all(n.connection_pool.connection_kwargs.get("password") is None
               for n in storage.sentinel.sentinels)
    config.SQLALCHEMY_DATABASE_URI = "sqlite://"
    app = create_app(config)
    assert isinstance(app.extensions["crm_limiter"]._storage, RedisSentinelStorage)
    intake = app.extensions["crm_intake_limiter"].redis.connection_pool
    assert isinstance(intake, SentinelConnectionPool) and intake.service_name == "crm-master"


def test_one_default_master_name_for_the_app_celery_and_both_limiters(monkeypatch):
    """Without CRM_REDIS_MASTER_NAME every user of the Sentinels asks for the one default
    (config.DEFAULT_REDIS_MASTER_NAME): changed there, it changes for all of them."""
    monkeypatch.setenv("REDIS_URL", SENTINELS)
    monkeypatch.delenv("CRM_REDIS_MASTER_NAME", raising=False)
    monkeypatch.setattr(config_module, "DEFAULT_REDIS_MASTER_NAME", "elsewhere")
    settings = Config()
    assert settings.CRM_REDIS_MASTER_NAME == "elsewhere"
    assert settings.CELERY["broker_transport_options"]["master_name"] == "elsewhere"
    assert config_module.celery_settings(SENTINELS, "q")["broker_transport_options"][
        "master_name"] == "elsewhere"
    assert settings.RATELIMIT_STORAGE_URI.endswith("/elsewhere")
    settings.SQLALCHEMY_DATABASE_URI = "sqlite://"
    app = create_app(settings)
    assert app.extensions["crm_intake_limiter"].redis.connection_pool.service_name == "elsewhere"
    assert redis_client.for_app(app.config).connection_pool.service_name == "elsewhere"


@pytest.mark.parametrize(("settings", "expected"), [
    # The URI config.py made from REDIS_URL: REDIS_URL's Redis, through its Sentinels.
    ({"REDIS_URL": SENTINELS}, ("sentinel", "crm-master", 2)),
    ({"REDIS_URL": "redis://10.0.0.1:6379/3"}, ("plain", "10.0.0.1", 3)),
    # A server named by hand is that server, whatever REDIS_URL says.
    ({"REDIS_URL": SENTINELS, "RATELIMIT_STORAGE_URI": "redis://10.0.0.9:6379/4"},
     ("plain", "10.0.0.9", 4)),
    ({"REDIS_URL": None}, None),  # memory
], ids=["sentinels", "one-server", "by-hand", "memory"])
def test_the_intake_limits_count_where_flask_limiter_does(settings, expected):
    url = settings["REDIS_URL"]
    uri, options = ("memory://", {}) if url is None else redis_client.limits_storage(
        url, "crm-master", {"socket_timeout": 1})
    config = {"CRM_REDIS_MASTER_NAME": "crm-master", "RATELIMIT_STORAGE_URI": uri,
              "RATELIMIT_STORAGE_OPTIONS": options, **settings}
    client = redis_client.limits_client(config)
    if expected is None:
        assert client is None
        return
    pool = client.connection_pool
    kind, name, db = expected
    if kind == "sentinel":
        assert isinstance(pool, SentinelConnectionPool) and pool.service_name == name
    else:
        assert not isinstance(pool, SentinelConnectionPool)
        assert pool.connection_kwargs["host"] == name
    assert pool.connection_kwargs["db"] == db and pool.connection_kwargs["socket_timeout"] == 1
