from sqlalchemy import func, select

from crm.models import Lead, Team, User


def test_create_user_makes_a_team_and_a_hashed_password(runner, db):
    result = runner.invoke(args=["crm", "create-user", "--email", "li@example.com", "--name", "李",
                                 "--role", "agent", "--team", "一组", "--password", "kiln-harbor-velvet"])
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User)).one()
    assert user.team.name == "一组" and user.team.is_default
    assert user.password_hash != "kiln-harbor-velvet" and user.check_password("kiln-harbor-velvet")


def test_create_user_refuses_short_passwords_and_duplicates(runner, db):
    args = ["crm", "create-user", "--email", "li@example.com", "--name", "李"]
    assert runner.invoke(args=args + ["--password", "short"]).exit_code != 0
    weak = runner.invoke(args=args + ["--password", "password1234"])
    assert weak.exit_code != 0 and "容易猜到" in weak.output
    assert runner.invoke(args=args + ["--password", "kiln-harbor-velvet"]).exit_code == 0
    assert runner.invoke(args=args + ["--password", "kiln-harbor-velvet"]).exit_code != 0


def test_seed_demo_creates_routed_leads(runner, db):
    result = runner.invoke(args=["crm", "seed-demo", "--leads", "12"])
    assert result.exit_code == 0, result.output
    assert "manager@example.com" in result.output
    # 12 routed, and the two prospects an agent typed in (crm.demo.seed.OWN_CLIENTS).
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 14
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


def test_the_small_demo_is_a_plausible_history(runner, db):
    """Issue 15: every stage move of the demo happened on the seed day (the month's ranking
    showed 4 site visits for 1 lead)."""
    from crm.models import Activity, LeadStage
    from crm.models.types import utcnow
    assert runner.invoke(args=["crm", "seed-demo", "--leads", "40"]).exit_code == 0
    now = utcnow()
    leads = {lead.id: lead for lead in db.session.scalars(select(Lead))}
    moved = [row for row in db.session.scalars(select(LeadStage)) if row.stage != "new"]
    assert moved and len({row.reached_at.date() for row in moved}) > 5
    for row in moved:
        assert leads[row.lead_id].created_at <= row.reached_at <= now
    for lead in leads.values():
        steps = list(db.session.scalars(select(Activity).where(Activity.lead_id == lead.id)
                                        .order_by(Activity.id)))
        times = [a.created_at for a in steps]
        assert times == sorted(times) and all(lead.created_at <= t <= now for t in times)
        if lead.first_contact_at is not None:
            assert lead.assigned_at < lead.first_contact_at
