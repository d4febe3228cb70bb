"""The contacts migrations down and up again on a copy of the demo data, on SQLite
(PostgreSQL: tests/integration/test_demo_migration.py). The downgrade to eaf33a3a18e4 drops,
as documented: contacts and companies with what agents set on them (the 同行 mark, a
contact's chosen firm), the lead's contact links (rebuilt by the upgrade), split needs (none
in the demo), deals and the lead's expected value and close date, stage probabilities
(refilled with defaults) and source spend. The rest of every lead must survive."""
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
