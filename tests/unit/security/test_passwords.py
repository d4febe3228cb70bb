"""Issue 14: users change their own password (the current one proves who they are); an
admin's reset forces a change at the next login; passwords are at least 12 characters and
not easy to guess (zxcvbn)."""
import pytest
from sqlalchemy import select

from crm import people
from crm.models import AuditLog, User
from tests.factories import UserFactory

STRONG = "kiln-harbor-velvet"


@pytest.mark.parametrize("password", ["short", "password1234", "aaaaaaaaaaaa", "123456789012",
                                      "me@example.com", "zhang.wei.example"])
def test_weak_passwords_are_refused(app, password):
    with app.test_request_context():
        assert people.password_weakness(password, "me@example.com", "zhang.wei.example")


def test_a_strong_password_passes(app):
    with app.test_request_context():
        assert people.password_weakness(STRONG, "me@example.com", "张伟") is None


def _change(client, current, new, confirm=None):
    return client.post("/account/password", data={"current": current, "password": new,
                                                  "confirm": new if confirm is None else confirm})


def test_a_user_changes_their_own_password_and_other_sessions_end(app, client, auth, db):
    user = UserFactory(email="me@example.com")
    db.session.commit()
    elsewhere = app.test_client()
    elsewhere.post("/login", data={"email": "me@example.com", "password": "secret-pass"})
    assert elsewhere.get("/agent/leads").status_code == 200
    auth.login("me@example.com")

    wrong = _change(client, "not-my-password", STRONG)
    assert wrong.status_code == 422 and "不是您当前的密码" in wrong.get_data(as_text=True)
    weak = _change(client, "secret-pass", "password1234")
    assert weak.status_code == 422 and "容易猜到" in weak.get_data(as_text=True)
    differ = _change(client, "secret-pass", STRONG, confirm=STRONG + "x")
    assert differ.status_code == 422 and "两次输入的新密码不一致" in differ.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password("secret-pass")

    assert _change(client, "secret-pass", STRONG).status_code == 302
    db.session.refresh(user)
    assert user.check_password(STRONG)
    assert client.get("/agent/leads").status_code == 200        # this session goes on
    assert elsewhere.get("/agent/leads").status_code == 302     # the other one ended
    assert db.session.scalars(select(AuditLog.action)).all() == ["password_change"]


def test_an_admin_reset_forces_a_change_at_the_next_login(app, client, auth, db):
    UserFactory(email="root@example.com", role="admin")
    user = UserFactory(email="me@example.com")
    db.session.commit()
    auth.login("root@example.com")
    short = client.post(f"/admin/users/{user.id}/password", data={"password": "elevenchars"})
    assert short.status_code == 422 and "至少输入 12 个字符" in short.get_data(as_text=True)
    assert client.post(f"/admin/users/{user.id}/password",
                       data={"password": "admin-chosen-phrase"}).status_code == 302

    agent = app.test_client()
    agent.post("/login", data={"email": "me@example.com", "password": "admin-chosen-phrase"})
    for path in ("/agent/leads", "/reports/ranking", "/agent/leads/new"):
        response = agent.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/account/password")
    assert agent.get("/account/password").status_code == 200
    assert _change(agent, "admin-chosen-phrase", STRONG).status_code == 302
    assert agent.get("/agent/leads").status_code == 200
    assert not db.session.get(User, user.id).must_change_password


def test_a_user_an_admin_created_chooses_their_own_password(app, client, auth, db):
    UserFactory(email="root@example.com", role="admin")
    db.session.commit()
    auth.login("root@example.com")
    weak = client.post("/admin/users/new", data={"email": "new@example.com", "name": "新顾问",
                                                 "role": "agent", "active": "y",
                                                 "password": "new@example.com1"})
    assert weak.status_code == 422
    assert client.post("/admin/users/new", data={"email": "new@example.com", "name": "新顾问",
                                                  "role": "agent", "active": "y",
                                                  "password": STRONG}).status_code == 302
    user = db.session.scalars(select(User).where(User.email == "new@example.com")).one()
    assert user.must_change_password
