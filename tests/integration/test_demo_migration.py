"""The contacts migrations down and up again on a copy of the demo data, on PostgreSQL in a
database of its own, `flask db` run as an operator runs it. Dropped by the downgrade, as
documented: contacts and companies with the 同行 mark and a contact's chosen firm, deals and
the lead's expected value and close date, stage probabilities, source spend (the full list:
tests/support/demo_migration.py)."""
from datetime import UTC, datetime

import pytest
import time_machine

from tests.integration.conftest import PG_ADMIN_URL
from tests.support import demo_migration
from tests.support.region_migration import in_subprocess
from tests.support.stack import create_database, drop_database

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 6, 6, 0, tzinfo=UTC)


def test_demo_people_regrouped_after_down_and_up_on_postgresql(pg_url):
    # pg_url: the server is up (the session's database is at head and full of rows).
    own = create_database(PG_ADMIN_URL, "crm_demo_migration")
    try:
        with time_machine.travel(NOW, tick=False):
            demo_migration.seed(demo_migration.demo_app(own))
        demo_migration.check(own, in_subprocess(own))
    finally:
        drop_database(PG_ADMIN_URL, own)
