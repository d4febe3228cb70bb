import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from flask import has_app_context
from sqlalchemy import String, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import Model, db

T = TypeVar("T")


class Setting(Model):
    """A value an admin edits in the app rather than in the deployment's environment
    (crm.branding: what prospects see; crm.intake.policy: the intake rules)."""
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), default="")


class Snapshot(Generic[T]):
    """Some settings as one value, read at most every `refresh` seconds per process: every
    page reads them, and an admin's edit reaches the other processes within that time."""

    def __init__(self, keys: tuple[str, ...], build: Callable[[dict[str, str]], T],
                 refresh: float = 30):
        self.keys, self.build, self.refresh = keys, build, refresh
        self._cached: tuple[float, T] | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        if not has_app_context():
            return self.build({})
        cached = self._cached
        if cached is None or time.monotonic() - cached[0] > self.refresh:
            try:
                rows = dict(db.session.execute(select(Setting.key, Setting.value).where(
                    Setting.key.in_(self.keys))).tuples().all())
            except SQLAlchemyError:
                # The database is away (the 503 page is being drawn): the last known, or none.
                db.session.rollback()
                return cached[1] if cached else self.build({})
            cached = (time.monotonic(), self.build(rows))
            with self._lock:
                self._cached = cached
        return cached[1]

    def forget(self) -> None:
        with self._lock:
            self._cached = None

    def store(self, values: dict[str, str]) -> None:
        """Write these keys in the session (the caller audits and commits, then forgets)."""
        for key in self.keys:
            if key in values:
                row = db.session.get(Setting, key) or Setting(key=key)
                row.value = values[key]
                db.session.add(row)
