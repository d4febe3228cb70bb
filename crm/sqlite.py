from sqlalchemy import event
from sqlalchemy.engine import Engine


def enable_sqlite_pragmas(engine: Engine) -> None:
    """WAL lets readers work while the in-process worker writes; FKs are off by default."""
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if ":memory:" not in str(engine.url) and str(engine.url) != "sqlite://":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
