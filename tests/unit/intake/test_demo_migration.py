"""The contacts migrations down and up again on a copy of the demo data, on SQLite (the
data each downgrade drops: tests/support/demo_migration.py; PostgreSQL:
tests/integration/test_demo_migration.py)."""
from datetime import UTC, datetime

import time_machine

from tests.support import demo_migration
from tests.support.region_migration import in_process

NOW = datetime(2026, 12, 6, 6, 0, tzinfo=UTC)


def test_demo_people_regrouped_after_down_and_up_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    with time_machine.travel(NOW, tick=False):
        demo_migration.seed(demo_migration.demo_app(url))
        demo_migration.check(url, in_process(url))
