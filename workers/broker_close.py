"""A worker survives losing Redis with a task in flight (kombu 5.7's Redis transport, patched here).

What ended the worker ("Unrecoverable error: AttributeError: 'NoneType' object has no attribute
'hostname'", fault drill 1 and the Sentinel failover drill): when the broker connection dies,
Celery's consumer first `collect()`s the connection, which closes its default channel and then
detaches the transport (`transport.client = None`), and then (new in Celery 5.7) `close()`s the
same connection again. kombu's `Channel.close()` begins by reading the reply of a BRPOP in flight
(`_brpop_read`, added by celery/kombu#1733 so that a message popped during a warm shutdown is not
lost); on a dead connection that raises ConnectionError, which `maybe_close_channel`
swallows, so the rest of close() never runs and the channel is never marked closed. The second
close() then tries to give back the unacked message (acks late: the running task's) and builds a
new Redis pool from the detached transport: AttributeError, which Celery does not treat as a
connection error, so the worker exits. Without a task in flight there is nothing to give back,
and the worker reconnects (hence "only with a task in flight").

The fix (no upstream report or fix found for this interaction; kombu#1733's read is kept when the
connection is alive): a BRPOP reply that cannot be read at close is no reply (the message stays in Redis, or
comes back after `visibility_timeout` if the master died with it), and close() goes on: the
channel is marked closed during the first close, while the transport is still attached, and the
second is a no-op. Same kombu behaviour otherwise; remove this once kombu closes a channel whose
connection is gone (checked by tests/integration/test_broker_outage.py and the fault drills).
"""
from queue import Empty

from kombu.transport import redis as kombu_redis

_original_close = kombu_redis.Channel.close


def _close(self) -> None:
    if self._in_poll:
        try:
            self._brpop_read()  # clears _in_poll whatever happens
        except Empty:
            pass
        except self.connection_errors:
            pass  # the connection is gone: nothing to read, go on closing
    _original_close(self)


def install() -> None:
    if kombu_redis.Channel.close is not _close:
        kombu_redis.Channel.close = _close  # type: ignore[method-assign]
