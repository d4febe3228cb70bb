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
    # Every role can log in to the demo, and a source site is there to embed the form from.
    roles = set(db.session.scalars(select(User.role)))
    assert roles == {"admin", "manager", "agent"} and "admin@example.com" in result.output
    from crm.models import SourceSite
    assert db.session.scalar(select(func.count()).select_from(SourceSite)) == 1
    # Run again: users and the site are not duplicated.
    runner.invoke(args=["crm", "seed-demo", "--leads", "1"])
    assert db.session.scalar(select(func.count()).select_from(User)) == 5
    assert db.session.scalar(select(func.count()).select_from(SourceSite)) == 1


def test_create_site_prints_keys_and_stores_only_the_hash(runner, db):
    from sqlalchemy import select

    from crm.intake.sites import hash_api_key
    from crm.models import SourceSite
    result = runner.invoke(args=["crm", "create-site", "--name", "浙江站",
                                 "--origin", "https://zj.example.cn/"])
    assert result.exit_code == 0, result.output
    api_key = result.output.split("(shown once): ")[1].strip()
    site = db.session.scalars(select(SourceSite)).one()
    assert site.origin_list == ["https://zj.example.cn"] and site.public_key in result.output
    assert site.api_key_hash == hash_api_key(api_key)
    bad = runner.invoke(args=["crm", "create-site", "--name", "x", "--origin", "zj.example.cn"])
    assert bad.exit_code != 0 and "not an origin" in bad.output
