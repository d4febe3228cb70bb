"""Capture an inquiry: validate (in the form), judge spam, link repeats, commit, hand over.

Three outcomes, and none of them drops what the prospect sent:
- a new lead (a need), routed after commit: a new contact's first, or a known contact's next
  (routing gives it to whoever holds the contact: crm.routing.contacts);
- spam: a lead with status "spam" and its reasons, never routed until a manager releases it;
- a repeat: a known contact asked again about one of their open needs (crm.intake.match), so
  the submission is linked to that need (InquiryRepeat) and its owner is told, instead of
  routing a second lead.
"""
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from flask_babel import gettext
from sqlalchemy import String, bindparam, func, insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError

from crm.extensions import db
from crm.i18n import default_locale
from crm.inputs import building
from crm.inputs.company import name_key
from crm.inputs.phone import Mobile
from crm.inputs.text import compact_key
from crm.inputs.wechat import is_wechat_id
from crm.intake import match, reference, repeats, spam
from crm.intake.forms import labelled
from crm.intake.inquiry import ContactInput, Inquiry, NeedInput
from crm.jobs import NOTIFY_REPEAT_INQUIRY, SEND_AUTO_REPLY, enqueue, enqueue_routing
from crm.leads import followup, scoring, stages
from crm.listings import inventory
from crm.models import Activity, Company, Contact, Lead, LeadStage, User
from crm.models.lead import is_new_need, refresh_search_text
from crm.models.types import utcnow
from crm.notifications import outbox
from crm.observability import metrics
from crm.routing import contacts, engine


@dataclass(frozen=True)
class Outcome:
    status: str            # "new" | "spam" | "duplicate"
    reference: str         # what the prospect is told: the lead's, or the repeat's own
    lead_id: int           # the lead; for a repeat, the first lead it is linked to
    repeat_id: int | None = None
    original_reference: str | None = None  # a repeat's first lead, for staff only
    contact_id: int | None = None
    held_by: int | None = None  # agent entry: the agent whose protected contact took the need
    contact_seq: int | None = None  # a new lead's number among its contact's non-junk needs

    @property
    def new_need(self) -> bool:
        """A new lead of a contact known before (Lead.new_need)."""
        return self.status == "new" and is_new_need(self.contact_seq)


def unread_note(unread) -> str:
    """The figures kept as typed, "label: words" each, in the CRM's language: the one note
    the agent reads on the lead (its message), from the importer and the prospect channels."""
    if not unread:
        return ""
    with default_locale():
        return gettext("Not read, as typed: %(values)s",
                       values="; ".join(f"{label}: {value}" for label, value in unread))


def understood(inquiry: Inquiry) -> dict:
    """The numbers as the CRM took them (area in ㎡, money in 万元), so the prospect or the
    API client sees that "30亩" became 20,000 ㎡ and "500万元" 500 万元, not the other way."""
    need = inquiry.need
    values = {"area_min_sqm": need.area_min_sqm, "area_max_sqm": need.area_max_sqm,
              "annual_tax_wan": need.annual_tax_wan, "investment_wan": need.investment_wan}
    # The requirements' figures too: "2MVA" is 2000 kVA, "800cm" 8 m.
    values |= {name: getattr(need, name) for name in building.MEASURES}
    found: dict[str, object] = {name: float(value) for name, value in values.items() if value is not None}
    if "area_min_sqm" in found or "area_max_sqm" in found:
        found["area_unit"] = need.area_unit
    if inquiry.unread:   # kept as typed, for the agent to confirm
        found["unread"] = dict(inquiry.unread)
    return found


def lead_from(inquiry: Inquiry) -> Lead:
    """Build (not save) a Lead from an inquiry."""
    now = utcnow()
    agreed = inquiry.consent
    note = unread_note(labelled(dict(inquiry.unread))) if inquiry.unread else ""
    lead = Lead(
        created_at=now,
        **inquiry.need.lead_columns(),
        **inquiry.contact.lead_columns(),
        **inquiry.source.lead_columns(),
        message="\n".join(m for m in (inquiry.message, note) if m),
        consent=agreed,
        consent_at=now if agreed else None,
        consent_version=current_app.config["CRM_PRIVACY_POLICY_VERSION"] if agreed else "",
        status="new",
        spam_reasons="",
    )
    return lead  # search_text is filled by the model on insert


def prospect_keys(lead: Lead) -> list[str]:
    """The advisory-lock keys of a prospect, sorted: the mobile and the WeChat ID; with
    neither, the company and name they are known by (design §2, Concurrency)."""
    keys = {lead.mobile_e164 or "",
            f"wechat:{lead.wechat_id}" if is_wechat_id(lead.wechat_id) else ""} - {""}
    if not keys:
        company, name = name_key(lead.company or ""), compact_key(lead.contact_name or "")
        if company and name:
            keys = {f"name:{company}|{name}"}
    return sorted(keys)


def _serialise_same_prospect(lead: Lead) -> None:
    """On PostgreSQL, two submissions for one person take turns, so both cannot be 'first'
    (the second finds the contact and the need just made: a repeat). Every key, in one order
    for everyone (no deadlock), in one statement: a mobile + WeChat submission and a
    WeChat-only one with that ID meet on the second."""
    keys = prospect_keys(lead)
    if keys and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_advisory_locks(len(keys)),
                           {f"key{i}": key for i, key in enumerate(keys)})


@lru_cache(maxsize=2)
def _advisory_locks(count: int):
    # Built once per process: it runs on every inquiry.
    return select(*(func.pg_advisory_xact_lock(func.hashtext(bindparam(f"key{i}", type_=String)))
                    for i in range(count)))


def capture_inquiry(inquiry: Inquiry, *, check_spam: bool = True, bot_traps: bool = False,
                    route: bool = True, auto_reply: bool = True,
                    prepare: Callable[[Lead], None] | None = None,
                    before_commit: Callable[[Outcome], None] | None = None) -> Outcome:
    """Commit the inquiry first; routing, notices and mail happen after, via Celery.

    Every channel comes through here (form, embed, API, agent entry, import), so each gets
    the same spam check, repeat linking, scoring and stage history. `prepare` adjusts the
    lead before it is saved (the importer's consent and pool); `route=False` keeps a new
    lead out of routing (the caller has placed it). `before_commit` lets the caller add rows
    to the same transaction (the API's idempotency record, the importer's row); an
    IntegrityError from them propagates after a rollback. The channel and the source site
    are the inquiry's (`inquiry.source`).
    """
    if inquiry.consent is not True:
        # The form refuses it with a message (crm.inputs.fields.ConsentField); reaching here
        # without it is a caller's bug, and nothing may be stored or routed.
        raise ValueError("an inquiry without the prospect's consent")
    reasons = spam.judge(inquiry, bot_traps=bot_traps) if check_spam else []
    asked_about = inventory.offered(inquiry.source.listing_id)
    channel = inquiry.source.channel
    for _attempt in range(reference.ATTEMPTS):
        lead = lead_from(inquiry)
        if asked_about is not None:
            inventory.fill_need_from(lead, asked_about)
        if prepare is not None:
            prepare(lead)
        try:
            outcome, has_email = _save(lead, reasons, before_commit, inquiry)
            break
        except IntegrityError as exc:
            db.session.rollback()
            if not (reference.is_collision(exc) or match.is_taken(exc)):
                raise
            # The drawn reference was taken, or another inquiry just made this person's
            # contact (rare): the whole transaction again; it finds them this time.
    else:
        raise RuntimeError("could not draw a unique reference number")
    metrics.SUBMISSIONS.labels(channel=channel, outcome=outcome.status).inc()
    if outcome.status == "new":
        if route:
            enqueue_routing(outcome.lead_id)
        if auto_reply and has_email and current_app.config.get("MAIL_SERVER"):
            enqueue(SEND_AUTO_REPLY, outcome.lead_id)
    elif outcome.status == "duplicate":
        enqueue(NOTIFY_REPEAT_INQUIRY, outcome.lead_id, outcome.repeat_id)
    return outcome


def _match(lead: Lead, inquiry: Inquiry | None) -> tuple[match.Match, match.Link]:
    """The person and the company behind the inquiry, found or made, and the open need it
    repeats (crm.intake.match)."""
    inquiry, found = _known(lead, inquiry)
    return found, match.link(inquiry, found, lead.created_at, bool(lead.consent),
                             lead.consent_version or "")


def _known(lead: Lead, inquiry: Inquiry | None) -> tuple[Inquiry, match.Match]:
    """Who the inquiry is from and the open need it repeats, as far as known; nothing is
    written. Without the inquiry (a caller saving a built lead), the lead's columns say who
    it is. The lead says what is wanted: a listing named may have filled in its types."""
    if inquiry is None:
        mobile = Mobile(lead.mobile_e164, lead.mobile_display or "", lead.mobile_note or "") \
            if lead.mobile_e164 else None
        inquiry = Inquiry(contact=ContactInput(
            name=lead.contact_name or "", mobile=mobile, wechat_id=lead.wechat_id or "",
            email=lead.email or "", company=lead.company or "", credit_code=lead.credit_code,
            credit_code_valid=lead.credit_code_valid), need=NeedInput(industry=lead.industry))
    about = match.Wanted(lead.deal_type, lead.property_type, lead.region_code, lead.listing_id)
    return inquiry, match.match_inquiry(inquiry, lead.created_at, about)


# The repeat row's word for how the person was known (as before contacts: "company").
_KNOWN_BY = {"mobile": "mobile", "wechat": "wechat", "name": "company"}


def _save(lead: Lead, spam_reasons: list[str], before_commit: Callable[[Outcome], None] | None,
          inquiry: Inquiry | None = None) -> tuple[Outcome, bool]:
    """One transaction: the lead (or the repeat), committed. Returns (outcome, auto-reply?)."""
    if spam_reasons and not spam.only_haste(spam_reasons):
        lead.status = "spam"
        lead.spam_reasons = ",".join(spam_reasons)[:300]
        _, found = _match(lead, inquiry)
        lead.contact_id, lead.company_id, lead.contact_seq = (
            found.contact_id, found.company_id, found.contact_seq)
        _add(lead)
        outcome = Outcome("spam", lead.reference, lead.id, contact_id=found.contact_id)
    else:
        lead.spam_reasons = ",".join(spam_reasons)  # a haste flag the lead page shows
        _serialise_same_prospect(lead)
        inquiry, known = _known(lead, inquiry)
        if known.need is None and known.contact_id is None:
            # A new person's first need, the common inquiry: on PostgreSQL the contact, the
            # lead and its stage row in one statement.
            scoring.refresh(lead, repeats=0)
            # A company new to us too is made by that statement on PostgreSQL.
            company = (match.company_to_make(inquiry, known, lead.created_at)
                       if db.session.get_bind().dialect.name == "postgresql" else None)
            person = match.new_contact(inquiry, known, lead.created_at, bool(lead.consent),
                                       lead.consent_version or "",
                                       company_made_with_it=company is not None)
            lead.company_id, lead.contact_seq = person["company_id"], 1
            _insert_new(lead, person, company)
            outcome = Outcome("new", lead.reference, lead.id, contact_id=lead.contact_id,
                              contact_seq=1)
        else:
            found = match.link(inquiry, known, lead.created_at, bool(lead.consent),
                               lead.consent_version or "")
            outcome = _repeat_or_need(lead, known, found)
    # Read before the commit expires the lead: reading it after would reload the whole row.
    auto_reply = outcome.status == "new" and bool(lead.email)
    if before_commit is not None:
        before_commit(outcome)
    db.session.commit()
    return outcome, auto_reply


def _repeat_or_need(lead: Lead, known: match.Match, found: match.Link) -> Outcome:
    """A repeat on the open need the inquiry is about, or a new need of a known person."""
    original = known.need
    if original is not None:
        repeat = repeats.repeat_from(lead, original, _KNOWN_BY[known.matched_on])
        repeat.contact_id = found.contact_id
        repeat.reference = reference.new_reference(lead.created_at,
                                                   current_app.config["CRM_TIMEZONE"])
        db.session.add(repeat)
        db.session.flush()
        return Outcome("duplicate", repeat.reference, original.id, repeat.id,
                       original.reference, contact_id=found.contact_id)
    # Scored before the INSERT, so the score is in it (no UPDATE). No repeats to count: a
    # new need has none yet (the contact's other needs are not repeats).
    scoring.refresh(lead, repeats=0)
    lead.contact_id, lead.company_id, lead.contact_seq = (
        found.contact_id, found.company_id, found.contact_seq)
    held_by = _hand_to_protector(lead)
    _insert_new(lead)
    return Outcome("new", lead.reference, lead.id, contact_id=found.contact_id,
                   held_by=held_by, contact_seq=found.contact_seq)


def _hand_to_protector(lead: Lead) -> int | None:
    """Agent entry (撞单): a new need of a contact another agent protects (客户保护期) goes
    to that agent, not to the one typing it in. Returns that agent's id, or None."""
    if lead.sourced_by_id is None or lead.contact_id is None:
        return None
    holder = contacts.protecting_agent(lead.contact_id, lead.created_at)
    if holder is None or holder.id == lead.sourced_by_id:
        return None
    lead.assigned_to_id, lead.team_id = holder.id, holder.team_id
    # The protection stays the holder's own: the one typing it in gains none.
    lead.sourced_by_id = None
    minutes = current_app.config["CRM_SLA_MINUTES"]
    for name, value in engine.sla_deadlines(lead.created_at, minutes, holder.team).items():
        setattr(lead, name, value)
    return holder.id


def _add(lead: Lead) -> None:
    """INSERT the lead under a freshly drawn reference (no savepoint: see capture_inquiry)."""
    lead.reference = reference.new_reference(lead.created_at, current_app.config["CRM_TIMEZONE"])
    db.session.add(lead)
    db.session.flush()


def _insert_new(lead: Lead, person: dict | None = None, company: dict | None = None) -> None:
    """INSERT a new lead and its first stage row through Core, in one statement on
    PostgreSQL (the stage row from the lead's RETURNING). Every inquiry comes this way, and
    the ORM's unit of work for one 55-column row cost more CPU than the INSERT itself. The
    lead object stays out of the session: it carries the values, and its id afterwards.
    `person`: the columns of a contact not met before (crm.intake.match.new_contact), and
    `company` those of a company not met before (match.company_to_make), inserted by the
    same statement on PostgreSQL; the lead takes their ids. Another inquiry making that
    company at the same moment fails this one on the company's unique index: the caller
    retries it (match.is_taken), and the retry finds the company."""
    lead.reference = reference.new_reference(lead.created_at, current_app.config["CRM_TIMEZONE"])
    refresh_search_text(lead)
    lead.status = lead.status or "new"
    staged = stages.reached(lead, lead.status)  # its first stage, since it was created
    values = {key: value for key, value in sa_inspect(lead).dict.items()
              if key in _LEAD_COLUMNS and not (value is None and key in _NULL_UNLESS_GIVEN)}
    if lead in db.session:  # put there by a relationship's cascade: not to be inserted twice
        db.session.expunge(lead)
    connection = db.session.connection()
    if staged and connection.dialect.name == "postgresql":
        if person is None:
            lead.id = connection.execute(_lead_and_stage(frozenset(values)), values).scalar_one()
        else:
            values.pop("contact_id", None)
            if company is not None:
                values.pop("company_id", None)
                person = {k: v for k, v in person.items() if k != "company_id"}
                company = {k: v for k, v in company.items() if v is not None}
            # The contact's and the company's columns that equal the lead's (its time,
            # mobile, consent, company name…) are bound once: with each bound again the
            # statement passed psycopg's 50.
            shared = _same_as_lead(values, person)
            shared_company = _same_as_lead(values, company or {}, _COMPANY_AS_LEAD)
            params = (values | {_PERSON + name: value for name, value in person.items()
                                if name not in shared}
                      | {_COMPANY + name: value for name, value in (company or {}).items()
                         if name not in shared_company})
            lead.id, lead.contact_id, made_company = connection.execute(_lead_and_stage(
                frozenset(values), frozenset(person), shared,
                None if company is None else frozenset(company), shared_company), params).one()
            if company is not None:
                lead.company_id = made_company
        return
    if company is not None:
        # A lead whose first stage is not recorded: the company on its own too.
        lead.company_id = values["company_id"] = match.insert_company(company)
        if person is not None:
            person = person | {"company_id": lead.company_id}
    if person is not None:
        # SQLite, or a lead whose first stage is not recorded: the contact first, on its own.
        lead.contact_id = values["contact_id"] = match.insert_contact(person)
    # SQLite: the new id from the cursor, and the stage row apart (SQLite allows no INSERT
    # inside a WITH).
    key = connection.execute(match.bound_insert(Lead.__table__, frozenset(values)), values).inserted_primary_key
    assert key is not None  # an INSERT of one row
    lead.id = key[0]
    if staged:
        stages.record_created(lead)


def _same_as_lead(lead: dict, row: dict, as_lead: dict | None = None) -> frozenset:
    """The columns of `row` whose values the lead's `values` already bind (`as_lead`: the
    lead's name of a column named otherwise, e.g. a company's name is the lead's company)."""
    return frozenset(name for name, value in row.items()
                     if (lead_name := (as_lead or {}).get(name, name)) in lead
                     and lead[lead_name] == value and type(lead[lead_name]) is type(value))


_LEAD_COLUMNS = frozenset(Lead.__table__.columns.keys())
# Columns that are NULL when an INSERT leaves them out (no default of either kind): an
# unstated one is left out rather than bound as None. psycopg parses a statement once and
# keeps it only up to 50 parameters (psycopg._queries.MAX_CACHED_STATEMENT_PARAMS); with
# every column bound, a lead's INSERT was parsed again on every inquiry.
_NULL_UNLESS_GIVEN = frozenset(
    column.key for column in Lead.__table__.columns
    if column.nullable and column.default is None and column.server_default is None)


# The bound names of a new contact's and a new company's columns in the statement that
# inserts them with the lead, and the lead's names of the company's columns.
_PERSON = "person_"
_COMPANY = "company_"
_COMPANY_AS_LEAD = {"name": "company"}


@lru_cache(maxsize=128)
def _lead_and_stage(columns: frozenset, person: frozenset | None = None,
                    shared: frozenset = frozenset(), company: frozenset | None = None,
                    shared_company: frozenset = frozenset()):
    table = Lead.__table__
    lead = match.bound_insert(table, columns)
    company_id = None
    if company is not None:
        made_company = (insert(Company.__table__).values({
            name: (bindparam(_COMPANY_AS_LEAD.get(name, name), type_=table.c[
                _COMPANY_AS_LEAD.get(name, name)].type) if name in shared_company
                   else bindparam(_COMPANY + name, type_=Company.__table__.c[name].type))
            for name in sorted(company)}).returning(Company.__table__.c.id).cte("new_company"))
        company_id = select(made_company.c.id).scalar_subquery()
        lead = lead.values(company_id=company_id)
    if person is not None:
        contact = Contact.__table__
        contact_row = insert(contact).values({
            name: bindparam(name if name in shared else _PERSON + name,
                            type_=(table if name in shared else contact).c[name].type)
            for name in sorted(person)})
        if company_id is not None:
            contact_row = contact_row.values(company_id=company_id)
        made = contact_row.returning(contact.c.id).cte("new_contact")
        lead = lead.values(contact_id=select(made.c.id).scalar_subquery())
    new = lead.returning(table.c.id, table.c.contact_id, table.c.company_id, table.c.created_at,
                         table.c.status).cte("new_lead")
    stage = LeadStage.__table__
    return (insert(stage)
            .from_select(["lead_id", "stage", "reached_at"],
                         select(new.c.id, new.c.status, new.c.created_at))
            .returning(stage.c.lead_id, select(new.c.contact_id).scalar_subquery(),
                       select(new.c.company_id).scalar_subquery()))


def capture_by_agent(inquiry: Inquiry, agent: User, *, to_routing: bool = False) -> Outcome:
    """A lead an agent typed in from a hotline call or a WeChat contact they found (no spam
    check). It stays with that agent, under the first-contact deadline like any assigned
    lead, unless they choose to hand it to routing (then someone else may get it)."""

    def attested(outcome: Outcome) -> None:
        # The prospect agreed to the agent, not on our page: the lead says who vouched for it.
        if outcome.status == "new":
            with default_locale():
                body = gettext("%(agent)s confirmed that the prospect agreed to the privacy "
                               "notice (version %(version)s).", agent=agent.name,
                               version=current_app.config["CRM_PRIVACY_POLICY_VERSION"])
            db.session.add(Activity(lead_id=outcome.lead_id, kind="note", author_id=agent.id,
                                    body=body, created_at=utcnow()))

    if to_routing:
        return capture_inquiry(inquiry, check_spam=False, before_commit=attested)

    def keep(lead: Lead) -> None:
        lead.assigned_to_id, lead.team_id = agent.id, agent.team_id
        lead.sourced_by_id = agent.id  # protected for them (crm.intake.policy)
        lead.assigned_at = lead.routed_at = lead.created_at
        minutes = current_app.config["CRM_SLA_MINUTES"]
        for name, value in engine.sla_deadlines(lead.created_at, minutes, agent.team).items():
            setattr(lead, name, value)

    told: list[int] = []

    def note(outcome: Outcome) -> None:
        if outcome.status == "new":
            holder = db.session.get(User, outcome.held_by) if outcome.held_by else None
            with default_locale():
                if holder is None:
                    body = gettext("Entered by %(agent)s, who keeps it.", agent=agent.name)
                else:
                    body = gettext("Entered by %(agent)s; client protection period: "
                                   "%(holder)s.", agent=agent.name, holder=holder.name)
            db.session.add(Activity(lead_id=outcome.lead_id, kind="assignment",
                                    author_id=agent.id, body=body, created_at=utcnow()))
            if holder is not None:  # the holder hears of it as of any lead routed to them
                lead = db.session.get_one(Lead, outcome.lead_id)
                told.extend(outbox.queue_assignment(lead, holder, holder.team, None))
        attested(outcome)

    outcome = capture_inquiry(inquiry, check_spam=False, route=False, prepare=keep,
                              before_commit=note)
    outbox.send_soon(told)
    return outcome


def release_spam(lead: Lead, manager: User) -> None:
    """A manager says it is a real inquiry: back to 'new' and into routing."""
    if lead.status != "spam":
        raise followup.StageError("not spam")
    followup.change_status(lead, manager, "new")  # numbers the contact's needs again
    enqueue_routing(lead.id)
