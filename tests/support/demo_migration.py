"""The contacts migrations down and up again on a copy of the demo data (issue 30: "Migration
tested up and down on both databases with a copy of the demo data"). Used by the SQLite unit
test and the PostgreSQL integration test.

The demo is seeded at head (`flask crm calendar seed`, `flask crm seed-demo`) in a database
of its own; each lead's person grouping (which leads share a contact), contact_seq, company
name key and its other columns are recorded; then `flask db downgrade eaf33a3a18e4` (before
contacts_expand), `flask db upgrade` and `flask db check`.

What the downgrade drops, by design (each revision's docstring): the tables `contact` and
`company` with all an agent set on them (c4a7e91d2f30): a contact marked 同行 (`is_peer`)
comes back unmarked and filed under its newest lead's company, not the firm the agent chose;
`lead.contact_id`, `company_id`, `contact_seq`, `from_repeat_id` (rebuilt by the upgrade);
needs split from repeats (d2b8f6a41c7e deletes them; the demo makes none); the deal tables
and `lead.expected_value_wan`, `expected_close_on` (4320f667d3ce); `stage_probability`
(9c3e5a7d1b24, refilled with the defaults); `source_spend` (9e4b2c7a1f05). Everything else in
the lead table must come back as it was.
"""
from contextlib import contextmanager

import sqlalchemy as sa

from tests.support.region_migration import _logging_kept

__all__ = ["BEFORE", "check", "demo_app"]

BEFORE = "eaf33a3a18e4"
# Lead columns the round trip rebuilds (compared as groupings) or drops (documented above).
REBUILT = {"contact_id", "company_id", "contact_seq", "from_repeat_id"}
LOSSY = {"expected_value_wan", "expected_close_on"}
PEER_MOBILE = "+8613861702231"
# The issue's people in the demo (crm/demo/seed.py STORIES): mobile → needs.
PEOPLE = {PEER_MOBILE: 3, "+8613957418802": 1, "+8613586703316": 1, "+8613905196628": 2}
TWO_PEOPLE_COMPANY = "宁波某某智能装备有限公司"


def demo_app(url: str):
    from config import TestConfig
    from crm import create_app
    config = TestConfig()
    config.SQLALCHEMY_DATABASE_URI = url.replace("postgresql://", "postgresql+psycopg://", 1)
    return create_app(config)


@contextmanager
def _engine(url: str):
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        yield engine
    finally:
        engine.dispose()


def seed(app) -> None:
    """The demo at head, through its CLI commands (in this process: the caller may freeze
    time around it)."""
    import flask_migrate
    with app.app_context(), _logging_kept():
        flask_migrate.upgrade()
    runner = app.test_cli_runner()
    for args in (["crm", "calendar", "seed"], ["crm", "seed-demo"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output


def snapshot(engine) -> dict:
    with engine.connect() as conn:
        leads = [dict(r._mapping) for r in conn.execute(sa.text("SELECT * FROM lead ORDER BY id"))]
        names = dict(conn.execute(sa.text("SELECT id, name_key FROM company")).all())
        contacts = {r.id: r for r in conn.execute(sa.text(
            "SELECT id, mobile_e164, wechat_id, name_key, is_peer, company_id FROM contact"))}
    by_contact: dict[int, set[str]] = {}
    for lead in leads:
        by_contact.setdefault(lead["contact_id"], set()).add(lead["reference"])
    return {
        "leads": {lead["reference"]: lead for lead in leads},
        # The person grouping, free of ids: the sets of leads that share a contact.
        "groups": {frozenset(refs) for refs in by_contact.values()},
        "seq": {lead["reference"]: lead["contact_seq"] for lead in leads},
        "company": {lead["reference"]: names.get(lead["company_id"]) for lead in leads},
        "contact_of": {lead["reference"]: contacts.get(lead["contact_id"]) for lead in leads},
        "company_names": names,
    }


def _person(snap: dict, mobile: str) -> set[str]:
    return {ref for ref, c in snap["contact_of"].items() if c is not None and c.mobile_e164 == mobile}


def check(url: str, run) -> None:
    """After `seed`: `run` does the `flask db` commands (either helper of
    tests/support/region_migration)."""
    with _engine(url) as engine:
        before = snapshot(engine)
        assert len(before["leads"]) >= 40 and None not in before["seq"].values()
        # No need split from a repeat (the downgrade would delete it).
        assert all(lead["from_repeat_id"] is None for lead in before["leads"].values())
        # The demo holds the issue's people: the 同行 with three needs, the company with two
        # contacts, the returning prospect.
        assert {m: len(_person(before, m)) for m in PEOPLE} == PEOPLE
        peer = before["contact_of"][next(iter(_person(before, PEER_MOBILE)))]
        assert peer.is_peer

        run("downgrade", BEFORE)
        with engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            assert "contact" not in tables and "company" not in tables
        run("upgrade", "head")
        run("check", None)
        after = snapshot(engine)

    assert after["leads"].keys() == before["leads"].keys()
    # Every lead linked again; the same leads share a person; numbered as before.
    assert None not in {lead["contact_id"] for lead in after["leads"].values()}
    assert after["groups"] == before["groups"]
    assert after["seq"] == before["seq"]
    assert after["company"] == before["company"]
    for mobile, needs in PEOPLE.items():
        assert len(_person(after, mobile)) == needs
    two = {ref for ref, lead in after["leads"].items() if lead["company"] == TWO_PEOPLE_COMPANY}
    assert len({after["leads"][ref]["contact_id"] for ref in two}) == 2
    assert len({after["leads"][ref]["company_id"] for ref in two}) == 1
    # Nothing else in the leads changed, except what the downgrades drop.
    for ref, old in before["leads"].items():
        new = after["leads"][ref]
        kept = set(old) - REBUILT - LOSSY
        assert {k: new[k] for k in kept} == {k: old[k] for k in kept}, ref
        assert all(new[k] is None for k in LOSSY)
    # The contacts' own keys are rebuilt from the leads; what an agent set is not (see above).
    keys = lambda snap: {ref: (c.mobile_e164, c.wechat_id, c.name_key)  # noqa: E731
                         for ref, c in snap["contact_of"].items()}
    assert keys(after) == keys(before)
    peer_after = after["contact_of"][next(iter(_person(after, PEER_MOBILE)))]
    assert not peer_after.is_peer and "经纪" not in after["company_names"].get(
        peer_after.company_id, "")
