"""Issue 14: redirects after login and language switch stay on the site; production
refuses a weak secret key and demo data."""
import pytest

from config import Config
from crm import create_app
from tests.factories import UserFactory

# As they appear in the query string (percent-encoded the way an attacker sends them).
OFFSITE = ["/%09/evil.com", "/%5Cevil.com", "//evil.com", "https://evil.com", "/%5C/evil.com",
           "%2F%2Fevil.com", "/%0D%0A/evil.com", "%2F%09%2Fevil.com"]


@pytest.mark.parametrize("target", OFFSITE)
def test_next_never_leaves_the_site(client, db, target):
    UserFactory(email="me@example.com")
    db.session.commit()
    response = client.post(f"/login?next={target}",
                           data={"email": "me@example.com", "password": "secret-pass"})
    assert response.status_code == 302 and "evil.com" not in response.headers["Location"]
    response = client.get(f"/lang/en?next={target}")
    assert "evil.com" not in response.headers["Location"]


def test_a_local_next_is_followed(client, db):
    UserFactory(email="me@example.com")
    db.session.commit()
    response = client.post("/login?next=/agent/leads?tab=due",
                           data={"email": "me@example.com", "password": "secret-pass"})
    assert response.headers["Location"].endswith("/agent/leads?tab=due")


@pytest.mark.parametrize("key", ["change-me", "secret", "x" * 20, "x" * 64,
                                 "change-me-to-64-random-hex-characters"])
def test_production_refuses_a_short_or_placeholder_secret(monkeypatch, key):
    monkeypatch.setenv("CRM_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Config())


def test_production_refuses_demo_data(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "Zq8vN2xL0pR4tY7wK3mB6cD9fG1hJ5sA")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/p.sqlite3")
    app = create_app(Config())
    result = app.test_cli_runner().invoke(args=["crm", "seed-demo", "--leads", "1"])
    assert result.exit_code != 0 and "production" in result.output


def test_database_errors_carry_no_bound_values(app, db):
    """Issue 14: SQL bound parameters (a prospect's mobile) were written to error logs."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError
    with pytest.raises(DBAPIError) as caught:
        db.session.execute(text("INSERT INTO no_such_table VALUES (:mobile)"),
                           {"mobile": "13912345678"})
    db.session.rollback()
    assert "13912345678" not in str(caught.value) and "hidden" in str(caught.value)


def test_the_spam_review_says_whose_spam_a_manager_sees(client, auth, db):
    UserFactory(email="boss@example.com", role="manager")
    db.session.commit()
    auth.login("boss@example.com")
    html = client.get("/manage/spam?lang=en").get_data(as_text=True)
    assert 'id="spam-scope"' in html and "every source" in html


def test_exports_are_posts_so_another_site_cannot_trigger_them(client, auth, db):
    """Issue 14: export jobs and audit rows were created by GET (cross-site triggerable)."""
    from sqlalchemy import func, select

    from crm.models import AuditLog, ExportJob
    UserFactory(role="admin", email="root@example.com", team=None)
    db.session.commit()
    auth.login("root@example.com")
    for path in ("/reports/leads/export.csv", "/reports/funnel/export.xlsx",
                 "/agent/leads/export.csv"):
        assert client.get(path).status_code == 405, path
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == 0
    assert db.session.scalar(select(func.count()).select_from(ExportJob)) == 0
    page = client.get("/reports/").get_data(as_text=True)
    assert 'method="post" action="/reports/dashboard/export.csv' in page
