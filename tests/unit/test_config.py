"""The README's settings table and config.py name the same environment variables."""
import re
from pathlib import Path

import pytest

from config import LIBRARY_KEYS, Config, env_names

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_settings() -> list[str]:
    """The variables of the first table under "## Configuration", one per row."""
    section = README.read_text(encoding="utf-8").split("\n## Configuration\n", 1)[1]
    rows, in_table = [], False
    for line in section.splitlines():
        if line.startswith("|"):
            in_table = True
            rows.append(line)
        elif in_table:
            break
    names = []
    for row in rows[2:]:  # after the header and its rule
        first = row.split("|")[1].strip()
        match = re.fullmatch(r"`([A-Z][A-Z0-9_]*)`", first)
        assert match, f"a settings row names one variable in backticks, not {first!r}"
        names.append(match.group(1))
    return names


def test_the_readme_lists_every_setting_config_reads_and_no_other():
    documented, read = readme_settings(), env_names()
    assert len(documented) == len(set(documented)), "a variable is in the README's table twice"
    missing = sorted(set(read) - set(documented))
    stale = sorted(set(documented) - set(read))
    assert not missing, f"read by config.py, missing from the README's table: {missing}"
    assert not stale, f"in the README's table, never read by config.py: {stale}"


def test_each_setting_is_the_attribute_of_its_own_name(monkeypatch):
    for name in env_names():
        monkeypatch.delenv(name, raising=False)
    settings = vars(Config())
    for name in env_names():
        key = LIBRARY_KEYS.get(name, name)
        assert key in settings, f"{name} is read into no setting named {key}"



def test_behind_pgbouncer_psycopg_prepares_nothing_and_reports_stay_on_one_connection(monkeypatch):
    monkeypatch.delenv("CRM_REPORT_OVERLAP", raising=False)
    monkeypatch.delenv("CRM_DATABASE_POOLER", raising=False)
    direct = Config()
    assert direct.CRM_DATABASE_POOLER == ""
    assert "connect_args" not in direct.SQLALCHEMY_ENGINE_OPTIONS
    assert direct.CRM_REPORT_OVERLAP is True
    monkeypatch.setenv("CRM_DATABASE_POOLER", " PgBouncer ")
    pooled = Config()
    assert pooled.CRM_DATABASE_POOLER == "pgbouncer"
    assert pooled.SQLALCHEMY_ENGINE_OPTIONS == {
        "pool_pre_ping": True, "hide_parameters": True,
        "connect_args": {"prepare_threshold": None}}
    assert pooled.CRM_REPORT_OVERLAP is False
    monkeypatch.setenv("CRM_REPORT_OVERLAP", "1")  # the operator sized the pool for it
    assert Config().CRM_REPORT_OVERLAP is True


def test_an_unknown_pooler_stops_the_app(monkeypatch):
    monkeypatch.setenv("CRM_DATABASE_POOLER", "pgbouncr")
    with pytest.raises(ValueError, match="CRM_DATABASE_POOLER"):
        Config()
