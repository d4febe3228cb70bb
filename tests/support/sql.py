"""Counting the SQL a piece of code runs: what a test asserts when it claims "one statement",
"no second lookup" or "a fixed number, however long the history" (instead of patching the
code's own functions to count their calls)."""
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextmanager
def statements_run(engine: Engine) -> Iterator[list[str]]:
    """The text of every statement sent to the database inside the block, in order."""
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
