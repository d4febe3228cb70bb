"""PIPL per contact on PostgreSQL (tests/unit/privacy/test_contact_rights.py): the erase
reaches every table, and the two-level retention's correlated queries run there."""
import pytest
from sqlalchemy import text

from crm.extensions import db
from tests.unit.privacy.test_contact_rights import check_erase, check_retention

pytestmark = pytest.mark.integration


@pytest.fixture
def clean(pg_app):
    # pg_app empties the lead tables; contacts, companies and what hangs off them are ours.
    def empty():
        db.session.execute(text("TRUNCATE contact, company, listing, notification_channel, "
                                "import_job, audit_log RESTART IDENTITY CASCADE"))
        db.session.commit()
    empty()
    yield pg_app
    empty()


def test_erase_reaches_every_table_on_postgresql(clean):
    check_erase(db)


def test_two_level_retention_on_postgresql(clean):
    check_retention(clean, db)
