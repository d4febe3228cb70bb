"""Migration c4a7e91d2f30 on PostgreSQL, in a database of its own: the same leads as the
SQLite unit test."""
import pytest

from tests.integration.conftest import PG_ADMIN_URL
from tests.support import contacts_migration
from tests.support.stack import create_database, drop_database

pytestmark = pytest.mark.integration


def test_contacts_and_companies_from_leads_up_and_down_on_postgresql(pg_url):
    # A database of its own: the session's (pg_url) is already at head and full of rows.
    own = create_database(PG_ADMIN_URL, "crm_contacts")
    try:
        contacts_migration.check(own, contacts_migration.in_subprocess(own))
    finally:
        drop_database(PG_ADMIN_URL, own)
