from sqlalchemy import func, select

from crm.models import Lead, Team, User


def test_create_user_makes_a_team_and_a_hashed_password(runner, db):
    result = runner.invoke(args=["crm", "create-user", "--email", "li@example.com", "--name", "李",
                                 "--role", "agent", "--team", "一组", "--password", "longenough"])
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User)).one()
    assert user.team.name == "一组" and user.team.is_default
    assert user.password_hash != "longenough" and user.check_password("longenough")


def test_create_user_refuses_short_passwords_and_duplicates(runner, db):
    args = ["crm", "create-user", "--email", "li@example.com", "--name", "李"]
    assert runner.invoke(args=args + ["--password", "short"]).exit_code != 0
    assert runner.invoke(args=args + ["--password", "longenough"]).exit_code == 0
    assert runner.invoke(args=args + ["--password", "longenough"]).exit_code != 0


def test_seed_demo_creates_routed_leads(runner, db):
    result = runner.invoke(args=["crm", "seed-demo", "--leads", "12"])
    assert result.exit_code == 0, result.output
    assert "manager@example.com" in result.output
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 12
    assert db.session.scalar(select(func.count()).select_from(Lead)
                             .where(Lead.assigned_to_id.is_(None))) == 0
    assert db.session.scalar(select(func.count()).select_from(Team)) == 1
    # Run again: users are not duplicated.
    runner.invoke(args=["crm", "seed-demo", "--leads", "1"])
    assert db.session.scalar(select(func.count()).select_from(User)) == 4
