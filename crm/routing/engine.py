"""Route a lead: the first matching rule picks a team (or agent), a strategy picks the agent.

Exactly-once: the lead row is locked (SKIP LOCKED: a lead another worker is routing
is left to it) and only a lead with routed_at NULL is routed, through a guarded
UPDATE, so a redelivered or duplicated task changes nothing. The target team's row
is locked while agents are counted and the round-robin / weighted pointers move, so
two workers never pick from the same stale view nor push an agent over their cap.
"""
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import gettext
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from crm import access
from crm.choices import OPEN_STATUSES
from crm.extensions import db, rows_changed
from crm.i18n import default_locale
from crm.jobs import enqueue_routing, routing_task_started
from crm.models import Activity, Lead, Role, RoutingRule, Team, User
from crm.models.types import utcnow
from crm.notifications import outbox
from crm.regions import within
from crm.routing import contacts, worktime
from crm.workdays import days

log = logging.getLogger(__name__)
# Called while a routing batch holds its row locks, before it writes. Empty in production;
# the fault drills (tests/support/drill_app.py) add a pause there so a worker can be
# killed in the middle of routing.
LOCKS_HELD_HOOKS: list[Callable[[], None]] = []


@dataclass
class Decision:
    rule: RoutingRule | None
    team: Team | None
    agent: User | None = None
    strategy: str = "round_robin"
    sla_minutes: int = 30
    reasons: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    escalate_to: User | None = None

    def explanation(self) -> str:
        lines = list(self.reasons)
        lines += [gettext("Skipped %(agent)s: %(why)s", agent=name, why=why) for name, why in self.skipped]
        return "\n".join(lines)


# --- rules ---------------------------------------------------------------------------

def rule_matches(rule: RoutingRule, lead: Lead) -> bool:
    if rule.deal_type and rule.deal_type != lead.deal_type:
        return False
    if rule.property_type and rule.property_type != lead.property_type:
        return False
    if rule.region_code and not (lead.region_code and within(lead.region_code, rule.region_code)):
        return False
    if rule.industry and rule.industry != lead.industry:
        return False
    if rule.channel and rule.channel != lead.channel:
        return False
    if rule.source_site_id and rule.source_site_id != getattr(lead, "source_site_id", None):
        return False
    if rule.area_min_sqm is not None or rule.area_max_sqm is not None:
        wanted_lo = lead.area_min_sqm if lead.area_min_sqm is not None else lead.area_max_sqm
        wanted_hi = lead.area_max_sqm if lead.area_max_sqm is not None else lead.area_min_sqm
        if wanted_lo is None or wanted_hi is None:  # both or neither: no area given
            return False
        if rule.area_min_sqm is not None and wanted_hi < rule.area_min_sqm:
            return False
        if rule.area_max_sqm is not None and wanted_lo > rule.area_max_sqm:
            return False
    if rule.min_tax_wan is not None and (lead.annual_tax_wan or 0) < rule.min_tax_wan:
        return False
    if rule.min_investment_wan is not None and (lead.investment_wan or 0) < rule.min_investment_wan:
        return False
    return True


def active_rules() -> list[RoutingRule]:
    # Each rule's team and named agent come in the same statement: routing reads them next.
    return list(db.session.scalars(
        select(RoutingRule).where(RoutingRule.active.is_(True))
        .options(joinedload(RoutingRule.team), joinedload(RoutingRule.agent))
        .order_by(RoutingRule.position, RoutingRule.id)).unique())


def default_team() -> Team | None:
    return db.session.scalars(
        select(Team).where(Team.is_default.is_(True)).order_by(Team.id).limit(1)).first()


def is_big_project(lead: Lead) -> bool:
    cfg = current_app.config
    return ((lead.investment_wan or 0) >= Decimal(cfg["CRM_ESCALATE_INVESTMENT_WAN"])
            or (lead.annual_tax_wan or 0) >= Decimal(cfg["CRM_ESCALATE_TAX_WAN"]))


# --- agents --------------------------------------------------------------------------

def open_lead_counts(user_ids: list[int]) -> dict[int, int]:
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(Lead.assigned_to_id, func.count())
        .where(Lead.assigned_to_id.in_(user_ids), Lead.status.in_(OPEN_STATUSES))
        .group_by(Lead.assigned_to_id))
    return {user_id: n for user_id, n in rows}


def _on_duty(user: User, at: datetime) -> bool:
    """An agent's own shift decides; without one, their team's hours; without those, always."""
    if user.work_start and user.work_end:
        return worktime.on_duty(at, user.work_start, user.work_end, user.weekends_too)
    team = user.team  # the batch already holds it: no query
    if team is not None and team.work_start and team.work_end:
        return worktime.on_duty(at, team.work_start, team.work_end,
                                user.weekends_too or team.weekends_too, team.lunch)
    return True


def availability(user: User, lead: Lead, at: datetime, open_count: int) -> str | None:
    """Why this agent cannot take the lead now, or None if they can."""
    if not user.active:
        return gettext("inactive")
    if user.on_leave:
        return gettext("on leave")
    if not _on_duty(user, at):
        return gettext("off duty")
    if user.capacity is not None and open_count >= user.capacity:
        return gettext("at capacity (%(n)d/%(cap)d open leads)", n=open_count, cap=user.capacity)
    if user.region_list and lead.region_code and not any(
            within(lead.region_code, r) for r in user.region_list):
        return gettext("does not cover this region")
    if user.industry_list and lead.industry and lead.industry not in user.industry_list:
        return gettext("does not cover this industry")
    return None


def _pick(strategy: str, eligible: list[tuple[User, int]]) -> User:
    epoch = datetime.min.replace(tzinfo=utcnow().tzinfo)
    if strategy == "least_loaded":
        return min(eligible, key=lambda c: (c[1], c[0].last_assigned_at or epoch, c[0].id))[0]
    if strategy == "weighted":
        # Smooth weighted round-robin (as in nginx): fair in proportion to weight and
        # interleaved, with the credits kept on the user rows under the team lock.
        total = sum(max(u.weight, 1) for u, _ in eligible)
        for user, _ in eligible:
            user.rr_credit += max(user.weight, 1)
        chosen = max(eligible, key=lambda c: (c[0].rr_credit, -c[0].id))[0]
        chosen.rr_credit -= total
        return chosen
    return min(eligible, key=lambda c: (c[0].last_assigned_at or epoch, c[0].id))[0]


def match_rule(lead: Lead, rules: list[RoutingRule] | None = None) -> RoutingRule | None:
    """The first active rule (in order) that matches; `rules`: already read for a batch."""
    return next((r for r in (active_rules() if rules is None else rules)
                 if rule_matches(r, lead)), None)


def target_team(rule: RoutingRule | None) -> Team | None:
    if rule is None:
        return default_team()
    if rule.team is not None:
        return rule.team
    return rule.agent.team if rule.agent is not None else default_team()


class _Match:
    """decide()'s default: "match the rules now" (None means "no rule matched")."""


_MATCH = _Match()
_LOOK_UP = contacts.Holder(None, None, False, -1)  # decide()'s default: read the holder now


class Roster:
    """The default team, and agents by team with their open leads read once under the team locks.

    Routing a batch assigns lead after lead from one reading: the counts move as leads
    are assigned here, and the round-robin stamps and weighted credits move on the user
    objects themselves, so the batch picks exactly as one lead at a time would.
    """

    def __init__(self) -> None:
        self._agents: dict[int, list[User]] = {}
        self._open: dict[int, int] = {}
        self._default_team: Team | None = None
        self._default_read = False
        self._seniors: dict[int, list[User]] = {}

    def default_team(self) -> Team | None:
        """The team of leads no rule matches, read once per batch."""
        if not self._default_read:
            self._default_team, self._default_read = default_team(), True
        return self._default_team

    def agents(self, team_id: int) -> list[User]:
        if team_id not in self._agents:
            self._agents[team_id] = team_agents(team_id)
        return self._agents[team_id]

    def open_counts(self, users: list[User]) -> dict[int, int]:
        missing = [u.id for u in users if u.id not in self._open]
        if missing:
            counts = open_lead_counts(missing)
            self._open.update({user_id: counts.get(user_id, 0) for user_id in missing})
        return {u.id: self._open[u.id] for u in users}

    def assigned(self, user: User) -> None:
        self._open[user.id] = self._open.get(user.id, 0) + 1

    def senior(self, team: Team, not_user: User | None = None) -> User | None:
        """Who a big project of the team is escalated to (not the agent it went to): its
        seniors are read once per batch, as big projects come in runs."""
        if team.id not in self._seniors:
            self._seniors[team.id] = seniors_of(team)
        return _first_other(self._seniors[team.id], not_user)


def decide(lead: Lead, at: datetime, exclude: tuple[int, ...] = (),
           rule: RoutingRule | None | _Match = _MATCH, roster: Roster | None = None,
           holder: contacts.Holder = _LOOK_UP) -> Decision:
    """Which rule, team and agent; no writes except the weighted credits of the pick.

    `rule`: the rule already matched for this lead (None: none matched), so a caller
    that matched before taking the team lock does not query the rules again.
    `roster`: the agents and counts of a batch being routed (default: read them now).
    `holder`: who holds the lead's contact (step 0), read for the batch (default: now).
    """
    if holder is _LOOK_UP:
        holder = contacts.holder_of(lead, at)
    if isinstance(rule, _Match):
        rule = match_rule(lead)
    roster = roster or Roster()
    sla = rule.sla_minutes if rule else current_app.config["CRM_SLA_MINUTES"]
    held = _held(lead, holder, exclude, sla, roster)
    if held is not None:
        return held
    decision = _by_rules(lead, at, exclude, rule, roster, sla)
    if holder.others > 0:
        decision.reasons.append(other_needs_line(holder.others))
    return decision


def other_needs_line(others: int) -> str:
    return gettext("This contact has %(n)d other need(s).", n=others)


def _held(lead: Lead, holder: contacts.Holder, exclude: tuple[int, ...],
          sla: int, roster: Roster) -> Decision | None:
    """Step 0: the contact's holder takes the need, whatever capacity or duty (one person per
    client); None when nobody holds it or the holder is the one being replaced."""
    agent, team = holder.agent, holder.team
    if agent is None or team is None or agent.id in exclude:
        return None
    decision = Decision(rule=None, team=team, agent=agent, sla_minutes=sla)
    decision.reasons.append(
        gettext("Client protection period: %(agent)s", agent=agent.name) if holder.protected
        else gettext("Other needs of this contact are followed up by %(agent)s",
                     agent=agent.name))
    if holder.others > 0:
        decision.reasons.append(other_needs_line(holder.others))
    _escalate(decision, lead, roster)
    return decision


def _escalate(decision: Decision, lead: Lead, roster: Roster) -> None:
    if decision.team is not None and is_big_project(lead):
        decision.escalate_to = roster.senior(decision.team, not_user=decision.agent)
        if decision.escalate_to is not None:
            decision.reasons.append(gettext("Big project: escalated to %(senior)s.",
                                            senior=decision.escalate_to.name))


def _by_rules(lead: Lead, at: datetime, exclude: tuple[int, ...], rule: RoutingRule | None,
              roster: Roster, sla: int) -> Decision:
    if rule is None:
        team = roster.default_team()
        decision = Decision(rule=None, team=team, sla_minutes=sla)
        decision.reasons.append(gettext("No rule matched: the default team %(team)s.",
                                        team=team.name if team else "—"))
        candidates_of = team
    else:
        decision = Decision(rule=rule, team=rule.team, strategy=rule.strategy, sla_minutes=sla)
        decision.reasons.append(gettext("Rule “%(rule)s” matched.", rule=rule.name))
        candidates_of = rule.team
    if decision.team is None and rule is not None and rule.agent is not None:
        decision.team = rule.agent.team

    named = rule.agent if rule is not None else None
    if named is not None:
        eligible = _screen([named], lead, at, exclude, decision, roster)
    elif candidates_of is not None:
        eligible = _screen(roster.agents(candidates_of.id), lead, at, exclude, decision, roster)
    else:
        eligible = []
    if not eligible and named is not None and decision.team is not None:
        # The named agent cannot take it: fall back to their team.
        decision.reasons.append(gettext("%(agent)s is unavailable; trying their team.",
                                        agent=named.name))
        colleagues = [u for u in roster.agents(decision.team.id) if u.id != named.id]
        eligible = _screen(colleagues, lead, at, exclude, decision, roster)
    if eligible:
        decision.agent = _pick(decision.strategy, eligible)
        decision.reasons.append(gettext("%(agent)s chosen by %(strategy)s.", agent=decision.agent.name,
                                        strategy=_strategy_label(decision.strategy)))
    elif decision.team is not None:
        decision.reasons.append(gettext("Nobody available: waiting in the pool of %(team)s.",
                                        team=decision.team.name))
    _escalate(decision, lead, roster)
    return decision


def team_agents(team_id: int) -> list[User]:
    # populate_existing: read under the team lock, the pointers (last_assigned_at,
    # rr_credit) must be what the previous holder of the lock committed, not what this
    # session saw before.
    return list(db.session.scalars(
        select(User).where(User.team_id == team_id, User.role == Role.AGENT).order_by(User.id)
        .execution_options(populate_existing=True)))


def _screen(users: list[User], lead: Lead, at: datetime, exclude: tuple[int, ...],
            decision: Decision, roster: Roster) -> list[tuple[User, int]]:
    """(agent, open leads) for those who can take the lead; the others go to decision.skipped."""
    counts = roster.open_counts(users)
    eligible = []
    for user in users:
        open_count = counts.get(user.id, 0)
        why = (gettext("already had this lead") if user.id in exclude
               else availability(user, lead, at, open_count))
        if why:
            decision.skipped.append((user.name, why))
        else:
            eligible.append((user, open_count))
    return eligible


def _strategy_label(strategy: str) -> str:
    return {"round_robin": gettext("round-robin"), "least_loaded": gettext("least-loaded"),
            "weighted": gettext("weighted round-robin")}.get(strategy, strategy)


def seniors_of(team: Team) -> list[User]:
    """Who a big project of the team is escalated to, in order: its senior agents, then its
    managers."""
    return list(db.session.scalars(
        select(User).where(User.team_id == team.id, User.active.is_(True),
                           (User.is_senior.is_(True)) | (User.role == Role.MANAGER))
        .order_by(User.is_senior.desc(), User.id)))


def _first_other(people: list[User], not_user: User | None) -> User | None:
    return next((u for u in people if not_user is None or u.id != not_user.id), None)


def team_managers(team: Team) -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.team_id == team.id, User.active.is_(True), User.role == Role.MANAGER)))


# --- writing the decision -----------------------------------------------------------

def sla_deadlines(start: datetime, minutes: int, team: Team | None = None) -> dict:
    """Half-time reminder and first-contact deadline, counted in the team's working minutes
    (the app's office hours where the team has none). Provisional when a day on the way lies
    in a year nobody entered the holidays of."""
    config = current_app.config
    if team is not None and team.work_start and team.work_end:
        day_start, day_end = team.work_start, team.work_end
        lunch, every_day = team.lunch, team.weekends_too
    else:
        day_start, day_end = config["CRM_WORKDAY_START"], config["CRM_WORKDAY_END"]
        lunch, every_day = None, False
    half = worktime.add_working_minutes(start, max(minutes // 2, 1), day_start, day_end,
                                        lunch, every_day)
    due = worktime.add_working_minutes(start, minutes, day_start, day_end, lunch, every_day)
    years = range(start.astimezone(worktime.SHANGHAI).year,
                  due.astimezone(worktime.SHANGHAI).year + 1)
    return {"sla_started_at": start, "sla_half_at": half, "sla_due_at": due,
            "sla_provisional": any(days.source_of(y) == "weekdays" for y in years)}


def lead_sla_minutes(lead: Lead) -> int:
    return lead.rule.sla_minutes if lead.rule else current_app.config["CRM_SLA_MINUTES"]


def route_lead(lead_id: int) -> int | None:
    """Assign the lead if it is still unrouted. Returns the agent id, or None."""
    return route_batch(lead_id).get(lead_id)


class Routed(dict):
    """{lead id: agent id, or None when it waits in a pool} for the leads a batch routed;
    `own_taken` and `others_taken` say what it locked: a batch that took `more` others may
    have left more behind it, and a task whose own lead was not taken may need to look again."""
    own_taken: bool = False
    others_taken: int = 0


# Full batches one routing task takes in a row before it hands over to the next task (about
# a second of work at 50 leads a batch).
DRAIN_BATCHES = 20


def route_burst(lead_id: int, linger: bool = True) -> Routed:
    """A routing task's work: this lead, and the backlog behind it when a burst outruns the
    workers (the inquiries that found the task waiting, its mark still set while it lingers,
    did not publish their own: crm.jobs.enqueue_routing). Returns the first batch."""
    more = current_app.config["CRM_ROUTING_BATCH"] - 1
    if more and linger:
        time.sleep(current_app.config["CRM_ROUTING_LINGER_SECONDS"])
    routing_task_started()
    routed = route_batch(lead_id, more=more)
    full, progress = more and routed.others_taken >= more, len(routed) > 0
    # A full batch: more wait behind it, so there is nothing to linger for. The next
    # batches are taken at once, a transaction each, while they come full and route
    # something (a lingering task per batch capped routing at one batch per linger).
    for _ in range(DRAIN_BATCHES):
        if not (full and progress):
            break
        routing_task_started()
        following = route_batch(lead_id, more=more)
        full, progress = following.others_taken >= more, len(following) > 0
    if full:
        enqueue_routing(lead_id)  # still full: the next task takes over
    return routed


def still_waiting(lead_id: int) -> bool:
    """Is this lead still new and unrouted (e.g. another transaction held its row)?"""
    return db.session.scalar(select(Lead.id).where(
        Lead.id == lead_id, Lead.routed_at.is_(None), Lead.status == "new")) is not None


def _lock_batch(lead_id: int, more: int) -> list[Lead]:
    """Lock this lead and up to `more` other fresh unrouted ones (SKIP LOCKED: a lead
    another worker holds is left to it). Leads waiting in a team's pool (team_id set)
    are not taken along: they wait for an agent, and the sweeper retries them."""
    leads = list(db.session.scalars(
        select(Lead).where(Lead.id == lead_id, Lead.routed_at.is_(None), Lead.status == "new")
        .with_for_update(skip_locked=True)))
    if more > 0:
        # The oldest first, through the partial index the sweeper uses (ix_lead_unrouted).
        leads += db.session.scalars(
            select(Lead).where(Lead.routed_at.is_(None), Lead.team_id.is_(None),
                               Lead.status == "new", Lead.id != lead_id)
            .order_by(Lead.created_at, Lead.id).limit(more)
            .with_for_update(skip_locked=True))
    return leads


def route_batch(lead_id: int, more: int = 0) -> Routed:
    """Route this lead and up to `more` other unrouted ones, in one transaction.

    Under a burst, each routing task clears the backlog behind it: the rules, agents and
    counts are read once for the batch instead of once per lead. Returns {lead id: agent
    id or None} for the leads this call routed (or left in a pool).
    """
    leads = _lock_batch(lead_id, more)
    routed = Routed()
    routed.own_taken = any(lead.id == lead_id for lead in leads)
    routed.others_taken = len(leads) - routed.own_taken
    if not leads:
        db.session.rollback()
        return routed
    with default_locale():
        roster = Roster()  # agents and counts are read from it after the team locks
        plan = _plan(leads, roster, utcnow())
        if not plan:
            db.session.rollback()
            return routed
        _lock_teams(sorted({team.id for _, _, team, _ in plan}))
        assigned = _assign(plan, roster, routed)
        for hook in LOCKS_HELD_HOOKS:
            hook()
        note_ids = _write(assigned)
        if note_ids is None:
            return Routed()
    db.session.commit()
    outbox.send_soon(note_ids)
    for line in assigned.log_lines:
        log.info(*line)
    return routed


Plan = list[tuple[Lead, RoutingRule | None, Team, contacts.Holder]]


def _plan(leads: list[Lead], roster: Roster, at: datetime) -> Plan:
    """Each lead's rule, team (the team whose lock is taken next) and contact's holder; a
    lead with no team to go to is left out and waits unrouted."""
    rules = active_rules()  # once for the batch
    held = contacts.holders(leads, at)  # and the contacts' needs: one read for the batch
    plan = []
    for lead in leads:
        rule = match_rule(lead, rules)
        holder = held.get(lead.id, contacts.NOBODY)
        team = holder.team if holder.agent is not None and holder.team is not None else (
            target_team(rule) if rule is not None else roster.default_team())
        if team is None:
            log.warning("no team to route lead %s to: it waits unrouted", lead.reference)
            continue
        plan.append((lead, rule, team, holder))
    return plan


@dataclass
class _Assigned:
    """What a batch decided, before it is written: the guarded updates, the notifications,
    the log lines (logged once committed)."""
    updates: list[dict] = field(default_factory=list)
    notes: list[tuple[Lead, User, Team | None, User | None, str]] = field(default_factory=list)
    log_lines: list[tuple] = field(default_factory=list)


def _assign(plan: Plan, roster: Roster, routed: Routed) -> _Assigned:
    """Decide each planned lead under the team locks: an agent (its values set on the lead
    object as written, an assignment activity added) or the team's pool."""
    # The round-robin stamps are taken under the lock: a clock read before it could
    # be older than the stamp another worker wrote meanwhile, and the same agent would
    # come up twice. Within a batch each lead gets its own later stamp, so the
    # round-robin turns as it would one lead at a time.
    start = utcnow()
    out = _Assigned()
    for i, (lead, rule, _team, holder) in enumerate(plan):
        now = start + timedelta(microseconds=i)
        decision = decide(lead, now, rule=rule, roster=roster, holder=holder)
        assert decision.team is not None  # the default team at least (none: no routing)
        if decision.agent is None:
            lead.team_id = decision.team.id
            routed[lead.id] = None
            out.log_lines.append(("lead %s waits in the pool of %s", lead.reference,
                                  decision.team.name))
            continue
        agent = decision.agent
        roster.assigned(agent)
        agent.last_assigned_at = now
        values = dict(assigned_to_id=agent.id, assigned_at=now, routed_at=now,
                      team_id=decision.team.id,
                      rule_id=decision.rule.id if decision.rule else None,
                      escalated_to_id=decision.escalate_to.id if decision.escalate_to else None,
                      **sla_deadlines(now, decision.sla_minutes, decision.team))
        out.updates.append({"lead_id": lead.id, **values})
        for name, value in values.items():  # what is written, without reading it back
            set_committed_value(lead, name, value)
        db.session.add(Activity(lead_id=lead.id, kind="assignment",
                                body=decision.explanation(), created_at=now))
        out.notes.append((lead, agent, decision.team, decision.escalate_to,
                          other_needs_line(holder.others) if holder.others > 0 else ""))
        routed[lead.id] = agent.id
        out.log_lines.append(("lead %s routed to %s", lead.reference, agent.email))
    return out


def _write(assigned: _Assigned) -> list[int] | None:
    """The guarded updates and the notifications' outbox rows (not committed); None, all
    rolled back, if a lead turned out routed already."""
    updates = assigned.updates
    if updates and _write_assignments(updates) != len(updates):
        # Cannot happen while the rows are locked; if it ever does, write nothing.
        log.error("routing batch of %d found a lead already routed; rolled back", len(updates))
        db.session.rollback()
        return None
    seen: dict = {}
    return [i for lead, agent, team, senior, extra in assigned.notes
            for i in outbox.queue_assignment(lead, agent, team, senior, channels_seen=seen,
                                             extra=extra)]


def _lock_teams(team_ids: list[int]) -> None:
    # In id order, so two batches that need the same teams cannot deadlock.
    db.session.execute(select(Team.id).where(Team.id.in_(team_ids)).order_by(Team.id)
                       .with_for_update())


def _write_assignments(rows: list[dict]) -> int:
    """One guarded UPDATE per lead, sent as one executemany; returns the rows changed."""
    table = Lead.__table__
    stmt = (update(table).where(table.c.id == bindparam("lead_id"), table.c.routed_at.is_(None))
            .values({name: bindparam(name) for name in rows[0] if name != "lead_id"}))
    result = db.session.connection().execute(stmt, rows)
    return rows_changed(result)


def preview(lead: Lead) -> Decision:
    """What routing would do now, without writing anything."""
    with default_locale():
        decision = decide(lead, utcnow())
        text = decision.explanation()
    db.session.rollback()  # undo the weighted credits a preview moved
    decision.reasons = text.split("\n")
    decision.skipped = []
    return decision


def reassign(lead: Lead, reason: str, actor: User | None = None) -> int | None:
    """Give an assigned lead to the next available agent (SLA breach, manager action)."""
    now = utcnow()
    lead = db.session.scalars(select(Lead).where(Lead.id == lead.id).with_for_update()).one()
    previous = lead.assigned_to
    exclude = (previous.id,) if previous else ()
    with default_locale():
        team = target_team(match_rule(lead))
        if team is None:
            db.session.rollback()
            return None
        _lock_teams([team.id])
        db.session.expire_all()
        lead = db.session.get_one(Lead, lead.id)
        decision = decide(lead, now, exclude=exclude)
        if decision.agent is None:
            db.session.add(Activity(lead_id=lead.id, kind="note", author_id=actor.id if actor else None,
                                    body=reason + "\n" + decision.explanation(), created_at=now))
            db.session.commit()
            return None
        assert decision.team is not None  # an agent is picked within a team
        lead.assigned_to_id = decision.agent.id
        lead.assigned_at = now
        lead.team_id = decision.team.id
        for name, value in sla_deadlines(now, decision.sla_minutes, decision.team).items():
            setattr(lead, name, value)
        lead.sla_reminded_at = None
        lead.sla_breached_at = None
        decision.agent.last_assigned_at = now
        body = gettext("Reassigned from %(old)s: %(reason)s",
                       old=previous.name if previous else "—", reason=reason)
        db.session.add(Activity(lead_id=lead.id, kind="assignment", author_id=actor.id if actor else None,
                                body=body + "\n" + decision.explanation(), created_at=now))
        notes = outbox.queue_event(lead, "reassigned", [decision.agent], extra=reason)
    db.session.commit()
    outbox.send_soon(notes)
    return decision.agent.id


def reassign_to(lead: Lead, agent: User, reason: str, actor: User | None = None) -> bool:
    """A manager hands the lead to a chosen agent; False if it already is theirs."""
    from crm.privacy import audit

    now = utcnow()
    lead = db.session.scalars(select(Lead).where(Lead.id == lead.id).with_for_update()).one()
    previous = lead.assigned_to
    if previous is not None and previous.id == agent.id:
        db.session.rollback()
        return False
    lead.assigned_to_id = agent.id
    lead.assigned_at = now
    lead.routed_at = lead.routed_at or now
    if agent.team_id is not None:
        lead.team_id = agent.team_id
    # The new owner gets a fresh first-contact clock only if nobody has contacted yet.
    if lead.first_contact_at is None:
        for name, value in sla_deadlines(now, lead_sla_minutes(lead), agent.team or lead.team).items():
            setattr(lead, name, value)
        lead.sla_reminded_at = None
        lead.sla_breached_at = None
    with default_locale():
        body = gettext("Reassigned from %(old)s to %(new)s: %(reason)s",
                       old=previous.name if previous else "—", new=agent.name, reason=reason)
        notes = outbox.queue_event(lead, "reassigned", [agent], extra=reason)
    db.session.add(Activity(lead_id=lead.id, kind="assignment", author_id=actor.id if actor else None,
                            body=body, created_at=now))
    audit.record(actor, "reassign", "lead", lead.id,
                 {"assigned_to_id": previous.id if previous else None},
                 {"assigned_to_id": agent.id, "reason": reason})
    db.session.commit()
    outbox.send_soon(notes)
    return True


# One bulk reassignment moves at most this many leads (the queue's page holds fewer).
REASSIGN_CAP = 500


@dataclass(frozen=True)
class Reassigned:
    """What a bulk reassignment did, lead ids in the order asked."""
    moved: list[int]
    already_theirs: list[int]
    refused: list[int]  # no such lead, or not the actor's to reassign
    left_out: list[int]  # past REASSIGN_CAP, not looked at


def reassign_many(lead_ids: Sequence[int], agent: User, reason: str, actor: User) -> Reassigned:
    """A manager hands several leads to one agent: each lead once, only the leads the actor
    manages (crm.access.manages_lead), at most REASSIGN_CAP of them; every lead moved is
    committed, audited and told as reassign_to() does for one."""
    wanted = list(dict.fromkeys(lead_ids))
    moved, already, refused = [], [], []
    for lead_id in wanted[:REASSIGN_CAP]:
        lead = db.session.get(Lead, lead_id)
        if lead is None or not access.manages_lead(actor, lead):
            refused.append(lead_id)
        elif reassign_to(lead, agent, reason, actor):
            moved.append(lead_id)
        else:
            already.append(lead_id)
    return Reassigned(moved=moved, already_theirs=already, refused=refused,
                      left_out=wanted[REASSIGN_CAP:])


def claim(lead_id: int, agent: User) -> bool:
    """An agent takes a lead from their team's pool; the first claim wins. An agent of no
    team has no pool (team_id = NULL must never match NULL)."""
    if agent.team_id is None:
        return False
    now = utcnow()
    result = db.session.execute(
        update(Lead).where(Lead.id == lead_id, Lead.assigned_to_id.is_(None),
                           Lead.team_id == agent.team_id, Lead.status == "new")
        .values(assigned_to_id=agent.id, assigned_at=now, routed_at=func.coalesce(Lead.routed_at, now))
        .execution_options(synchronize_session=False))
    if rows_changed(result) != 1:
        db.session.rollback()
        return False
    with default_locale():
        body = gettext("%(agent)s took the lead from the team pool.", agent=agent.name)
    db.session.add(Activity(lead_id=lead_id, kind="assignment", author_id=agent.id, body=body,
                            created_at=now))
    db.session.commit()
    return True


def unrouted_lead_ids(older_than_seconds: int, limit: int = 500) -> list[int]:
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    return list(db.session.scalars(
        select(Lead.id)
        .where(Lead.routed_at.is_(None), Lead.created_at <= cutoff, Lead.status == "new")
        .order_by(Lead.created_at)
        .limit(limit)))
