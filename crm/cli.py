"""`flask crm ...` commands."""
import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from crm import choices
from crm.extensions import db
from crm.models import Team, User

# Up to this many demo leads go through the real routing service one by one.
ROUTED_SEED_MAX = 200

crm_cli = AppGroup("crm", help="Changfang CRM administration.")
calendar_cli = AppGroup("calendar", help="China's working calendar: holidays and make-up workdays.")
crm_cli.add_command(calendar_cli)


@crm_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(list(choices.ROLES)), default="agent")
@click.option("--team", "team_name", default=None, help="Team name; created if missing.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user(email, name, role, team_name, password):
    """Create a user (agent, manager or admin)."""
    if db.session.scalars(select(User).where(User.email == email)).first():
        raise click.ClickException(f"a user with email {email} exists")
    from crm.people import password_weakness
    weakness = password_weakness(password, email, name)
    if weakness:
        raise click.ClickException(str(weakness))
    team = None
    if team_name:
        team = db.session.scalars(select(Team).where(Team.name == team_name)).first()
        if team is None:
            is_first = db.session.scalars(select(Team.id).limit(1)).first() is None
            team = Team(name=team_name, is_default=is_first)
            db.session.add(team)
    user = User(email=email, name=name, role=role, team=team)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"created {role} {email}" + (f" in team {team.name}" if team else ""))


@crm_cli.command("seed-demo")
@click.option("--leads", "n_leads", default=40, show_default=True)
@click.option("--seed", "seed_value", default=7, show_default=True, help="Random seed, for repeatable data.")
@click.option("--if-empty", is_flag=True, help="Do nothing if there are leads already.")
@click.option("--history/--routed", "history", default=None,
              help="18 months of leads with teams, stage history and follow-ups, bulk-loaded "
                   f"(the default above {ROUTED_SEED_MAX} leads), or recent leads routed by the "
                   "routing service (the default up to that).")
def seed_demo(n_leads, seed_value, if_empty, history):
    """A team, a manager, three agents and realistic leads, routed like real ones.

    With many leads (or --history): teams by region and industry track, 18 months of leads
    with their stage history, loaded in bulk (COPY on PostgreSQL), printing progress.
    """
    from crm.demo.history import seed_history
    from crm.demo.seed import seed
    from crm.models import Lead

    if current_app.config["CRM_ENV"] == "production":
        raise click.ClickException("seed-demo refuses to run with CRM_ENV=production: demo "
                                   "logins share one known password.")
    if if_empty and db.session.scalars(select(Lead.id).limit(1)).first() is not None:
        click.echo("demo data already present; demo logins: manager@example.com, "
                   "agent1@example.com … agent3@example.com (password demo1234)")
        return
    if n_leads < 0:
        raise click.BadParameter("must be 0 or more", param_hint="--leads")
    if history is None:
        history = n_leads > ROUTED_SEED_MAX
    if history:
        summary = seed_history(n_leads, seed_value, progress=click.echo)
    else:
        summary = seed(n_leads, seed_value)
    click.echo(summary)


@crm_cli.command("sweep")
def sweep():
    """Route leads left unrouted (what the beat sweeper does every minute)."""
    from crm.routing import engine
    ids = engine.unrouted_lead_ids(0)
    for lead_id in ids:
        engine.route_lead(lead_id)
    click.echo(f"routed {len(ids)} lead(s)")
    current_app.logger.info("manual sweep routed %d leads", len(ids))


@crm_cli.command("fold-reports")
@click.option("--all", "everything", is_flag=True, help="rebuild every day holding a lead")
def fold_reports(everything):
    """Build the report rollups of the days leads changed on (the beat task does it every
    minute); --all rebuilds them all (after a restore from a logical dump, say)."""
    from crm.reporting import rollup
    if everything:
        rollup.mark_all_dirty(db.session)
        db.session.commit()
    days = rollup.fold(db.session, current_app.config["CRM_SLA_MINUTES"])
    click.echo(f"folded {days} day(s)")


@crm_cli.command("photo-middles")
def photo_middles():
    """Make the middle copy of listing photos processed before it existed (once, after the
    upgrade that added it; run again, it finds nothing to do)."""
    from crm.listings import images  # imported here: only this command needs Pillow
    made = seen = last = 0
    while ids := images.lacking_middle_ids(after=last):
        last, seen = ids[-1], seen + len(ids)
        for image_id in ids:
            try:
                made += images.add_middle(image_id)
            except OSError:  # its web copy missing or unreadable: the page shows the other two
                current_app.logger.warning("no middle copy for listing image %s", image_id,
                                           exc_info=True)
    click.echo(f"made {made} middle cop{'y' if made == 1 else 'ies'} of {seen} photo(s)")


@crm_cli.command("create-site")
@click.option("--name", required=True)
@click.option("--origin", "origins", multiple=True, help="An origin that may embed the form; repeatable.")
def create_site(name, origins):
    """Register a source site; prints its embed key and its API key (shown once)."""
    from crm.inputs.origins import parse_origins
    from crm.intake import sites

    if sites.name_taken(name):
        raise click.ClickException(f"a site named {name} exists")
    try:
        parsed = parse_origins(" ".join(origins))
    except ValueError as exc:
        raise click.ClickException(f"not an origin: {exc}") from None
    site, api_key = sites.create_site(name, parsed)
    click.echo(f"site {site.name}: embed key {site.public_key}")
    click.echo(f"API key (shown once): {api_key}")


def _read_notice(year: int):
    import calendar
    import json
    import sys

    from crm.inputs.text import decode_text
    from crm.workdays import notice
    try:
        reading = notice.read(decode_text(sys.stdin.buffer.read()), year)
    except notice.NoticeError as exc:
        raise click.ClickException(f"could not read the notice: {exc}") from None
    for day in reading.days:
        click.echo(json.dumps(day.as_json(), ensure_ascii=False))
    names = calendar.day_name  # English, as the CLI's other output
    for wrong in reading.mismatches:
        click.echo(f"warning: {wrong.day.isoformat()} is a {names[wrong.day.weekday()]}; "
                   f"the notice says {names[wrong.said]}", err=True)
    return reading.days


@calendar_cli.command("parse-notice")
@click.option("--year", type=click.IntRange(2000, 2100), required=True)
def parse_notice(year):
    """Read the State Council's holiday notice on standard input; print one JSON object per
    day off or make-up workday. Saves nothing."""
    _read_notice(year)


@calendar_cli.command("import-notice")
@click.option("--year", type=click.IntRange(2000, 2100), required=True)
def import_notice(year):
    """As parse-notice, then replace the year's days with what the notice says."""
    from crm.workdays import edit
    parsed = _read_notice(year)
    changed = edit.import_notice(year, parsed, None)
    click.echo(f"saved {len(parsed)} days of {year}; {len(changed)} changed working days",
               err=True)


@calendar_cli.command("seed")
def seed_calendar():
    """Copy the chinese-calendar package's years into the calendar table (years the table
    already holds are left alone)."""
    from crm.workdays import edit
    years = edit.seed_from_package()
    click.echo(f"seeded {len(years)} year(s)" + (f": {years[0]}–{years[-1]}" if years else ""))


@crm_cli.command("parse-message")
def parse_message():
    """Read a prospect's message (WeChat, SMS, a call note) on standard input, in UTF-8
    (with or without BOM), UTF-16 with BOM or GB18030/GBK; print one JSON object with the
    inquiry API's field names, only the fields found. Saves nothing."""
    import json
    import sys

    from crm.inputs.text import decode_text
    from crm.intake import message
    text = decode_text(sys.stdin.buffer.read())
    click.echo(json.dumps(message.as_fields(message.read(text)), ensure_ascii=False))
