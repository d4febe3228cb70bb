"""Migration c4a7e91d2f30 on SQLite: contacts and companies made from today's leads, every
lead and repeat linked, `flask db check` clean, and back down (PostgreSQL:
tests/integration/test_contacts_migration.py)."""
from tests.support import contacts_migration


def test_contacts_and_companies_from_leads_up_and_down_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'contacts.sqlite3'}"
    contacts_migration.check(url, contacts_migration.in_process(url))
