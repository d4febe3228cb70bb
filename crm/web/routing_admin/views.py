"""Managers edit routing: the ordered rules, agents' availability, notification channels."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from crm import access
from crm.access import Role, role_required
from crm.extensions import db
from crm.models import Lead, Notification, NotificationChannel, RoutingRule, SourceSite, Team, User
from crm.notifications.channels import add_channel, delete_channel, set_channel_active
from crm.routing import engine, settings
from crm.web.pages import form_page
from crm.web.routing_admin import bp
from crm.web.routing_admin.forms import (
    CHANNEL_LABELS,
    STRATEGY_LABELS,
    AgentSettingsForm,
    ChannelForm,
    RuleForm,
)


def _all_teams():
    return list(db.session.scalars(select(Team).order_by(Team.name)))


def _all_agents():
    return list(db.session.scalars(select(User).where(User.role == Role.AGENT).order_by(User.name)))


@bp.route("/rules")
@role_required(Role.MANAGER)
def rules():
    rows = db.session.scalars(select(RoutingRule).options(
        joinedload(RoutingRule.team), joinedload(RoutingRule.agent))
        .order_by(RoutingRule.position, RoutingRule.id)).all()
    return render_template("routing_admin/rules.html", rules=rows, strategies=STRATEGY_LABELS)


def _rule_or_403(rule_id: int) -> RoutingRule:
    rule = db.session.get(RoutingRule, rule_id) or abort(404)
    if not access.can_edit_rule(current_user, rule.team_id, rule.agent):
        abort(403)
    return rule


@bp.route("/rules/new", methods=["GET", "POST"])
@bp.route("/rules/<int:rule_id>", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def edit_rule(rule_id: int | None = None):
    rule = _rule_or_403(rule_id) if rule_id else RoutingRule()
    sites = db.session.scalars(select(SourceSite).order_by(SourceSite.name)).all()
    # A manager's rules send leads to their own team (or one of its agents).
    teams = access.visible_teams(current_user)
    agents = list(db.session.scalars(select(User).where(
        User.role == Role.AGENT, access.managed_users_clause(current_user)).order_by(User.name)))
    form = RuleForm(teams, agents, sites, obj=rule if rule_id else None)
    if request.method == "GET" and rule_id:
        form.source_site_id.data = rule.source_site_id or 0
        form.team_id.data = rule.team_id or 0
        form.agent_id.data = rule.agent_id or 0
    if form.validate_on_submit():
        agent = db.session.get(User, form.agent_id.data) if form.agent_id.data else None
        if not access.can_edit_rule(current_user, form.team_id.data or None, agent):
            form.team_id.errors = [*form.team_id.errors,
                                   _("You can only send leads to your own team.")]
        else:
            settings.save_rule(rule, form.to_input(), current_user)
            flash(_("Rule saved."), "success")
            return redirect(url_for("routing_admin.rules"))
    return form_page("routing_admin/rule_form.html", form=form, rule=rule)


@bp.route("/rules/<int:rule_id>/delete", methods=["POST"])
@role_required(Role.MANAGER)
def delete_rule(rule_id: int):
    settings.delete_rule(_rule_or_403(rule_id), current_user)
    flash(_("Rule deleted."), "success")
    return redirect(url_for("routing_admin.rules"))


@bp.route("/preview")
@role_required(Role.MANAGER)
def preview():
    reference = request.args.get("reference", "").strip().upper()
    lead = decision = None
    if reference:
        lead = db.session.scalars(select(Lead).where(Lead.reference == reference)).first()
        # Only leads the manager manages: the preview shows the company and the decision.
        if lead is None or not access.manages_lead(current_user, lead):
            lead = None
            flash(_("No lead with this reference."), "error")
        else:
            decision = engine.preview(lead)
    return render_template("routing_admin/preview.html", reference=reference, lead=lead,
                           decision=decision)


@bp.route("/agents")
@role_required(Role.MANAGER)
def agents():
    people = settings.agents_for(current_user)
    counts = engine.open_lead_counts([u.id for u in people])
    return render_template("routing_admin/agents.html", agents=people, open_counts=counts)


@bp.route("/agents/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def edit_agent(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    if not access.can_manage_user(current_user, user):
        abort(403)
    form = AgentSettingsForm(obj=user)
    if request.method == "GET":
        form.covers_regions.data = user.region_list
        form.covers_industries.data = user.industry_list
    if form.validate_on_submit():
        settings.save_agent_settings(user, form)
        flash(_("Settings saved."), "success")
        return redirect(url_for("routing_admin.agents"))
    return form_page("routing_admin/agent_form.html", form=form, user=user)


@bp.route("/channels", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def channels():
    form = ChannelForm(_all_teams(), list(db.session.scalars(
        select(User).where(User.active.is_(True)).order_by(User.name))))
    if form.validate_on_submit():
        add_channel(form.to_input())
        flash(_("Channel added."), "success")
        return redirect(url_for("routing_admin.channels"))
    rows = db.session.scalars(select(NotificationChannel).options(
        joinedload(NotificationChannel.user), joinedload(NotificationChannel.team))
        .order_by(NotificationChannel.failures.desc(), NotificationChannel.id)).all()
    sent = dict(db.session.execute(
        select(Notification.channel_id, func.count()).where(Notification.status == "sent")
        .group_by(Notification.channel_id)).tuples().all())
    return form_page("routing_admin/channels.html", form=form, channels=rows, sent=sent,
                     kinds=CHANNEL_LABELS)


@bp.route("/channels/<int:channel_id>/<action>", methods=["POST"])
@role_required(Role.ADMIN)
def channel_action(channel_id: int, action: str):
    channel = db.session.get(NotificationChannel, channel_id) or abort(404)
    if action == "delete":
        delete_channel(channel)
    elif action in ("enable", "disable"):
        set_channel_active(channel, action == "enable")
    else:
        abort(404)
    return redirect(url_for("routing_admin.channels"))
