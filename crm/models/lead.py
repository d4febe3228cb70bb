from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Numeric,
    SmallInteger,
    String,
    Text,
    and_,
    event,
    false,
    func,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.choices import OPEN_STATUSES
from crm.extensions import Model
from crm.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:  # annotations only: the models import each other
    from crm.models.activity import Activity
    from crm.models.contact import Company, Contact
    from crm.models.lost_reason import LostReason
    from crm.models.repeat import InquiryRepeat
    from crm.models.routing_rule import RoutingRule
    from crm.models.source_site import SourceSite
    from crm.models.team import Team
    from crm.models.user import User

# 万元 to the 元 (four places): a 50 元 tax is 0.005, not 0.00 ("no tax").
MONEY = Numeric(16, 4)
# What the lost-reasons report reads of a lost lead (the reason picked, else the note).
LOST_COLUMNS = ["lost_reason", "lost_reason_id", "team_id", "assigned_to_id"]
# What the report aggregates read besides created_at (see the report indexes below).
# What the workspace queue's urgency bucket reads (queue.urgency): the queue's indexes carry
# them on PostgreSQL, so a page is ranked from the index before any row is fetched.
URGENCY_COLUMNS = ["first_contact_at", "sla_half_at", "next_follow_up_on"]
# channel and source_site_id: the spend report's leads by source; contact_seq: new and
# returning contacts; region_code: the funnel by region (each reads two years of leads from
# this index at a million leads).
REPORT_COLUMNS = ["status", "stage_rank", "team_id", "assigned_to_id", "assigned_at",
                  "first_contact_at", "sla_due_at", "investment_wan", "annual_tax_wan",
                  "area_min_sqm", "area_max_sqm", "channel", "source_site_id", "contact_seq",
                  "region_code"]
# A contact's second or later need (Lead.new_need), for the needs-per-contact figures.
RETURNING = "contact_seq > 1"


def postgresql_only(index: Index) -> Index:
    """An index that exists on PostgreSQL only (e.g. pg_trgm's GIN): create_all skips it on
    SQLite, and migrations/env.py leaves it out of the SQLite comparison."""
    index.info["postgresql_only"] = True
    return index.ddl_if(dialect="postgresql")


# Built from OPEN_STATUSES as queue.urgency() filters, or PostgreSQL cannot use the index.
AWAITING_CONTACT = ("status IN (" + ", ".join(f"'{s}'" for s in OPEN_STATUSES) + ")"
                    " AND first_contact_at IS NULL AND sla_half_at IS NOT NULL")
OPEN = "status IN (" + ", ".join(f"'{s}'" for s in OPEN_STATUSES) + ")"

# Free-text search in the queue (crm.leads.search): LIKE '%…%' on these columns is answered
# by pg_trgm's GIN indexes for patterns of three characters or more.
TRIGRAM_COLUMNS = {"ix_lead_search_trgm": "search_text", "ix_lead_reference_trgm": "reference",
                   "ix_lead_mobile_trgm": "mobile_e164"}


def is_new_need(contact_seq: int | None) -> bool:
    """The one rule of Lead.new_need, for a contact_seq held outside a Lead row."""
    return contact_seq is not None and contact_seq > 1


class Lead(Model):
    """A need (需求): what one contact asked for, with its own reference, stage and owner.
    Its contact columns still hold what the inquiry stated (issue 30 moves them to
    `contact` and `company`, which `contact_id` and `company_id` already point at)."""
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    channel: Mapped[str] = mapped_column(String(10), default="web")

    # Need (需求)
    deal_type: Mapped[str | None] = mapped_column(String(10))
    property_type: Mapped[str | None] = mapped_column(String(12))
    region_code: Mapped[str | None] = mapped_column(String(60))
    region_text: Mapped[str] = mapped_column(String(120), default="")
    area_min_sqm: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    area_max_sqm: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    area_unit: Mapped[str] = mapped_column(String(4), default="sqm")  # as the prospect typed it

    # Usage (用途)
    industry: Mapped[str | None] = mapped_column(String(30))
    usage: Mapped[str] = mapped_column(String(500), default="")
    needs_eia: Mapped[bool | None] = mapped_column()  # None: the prospect is not sure

    # The building's requirements (更多要求): the least the prospect needs, in the units and
    # under the names of the listing's columns (crm.inputs.building). None: not said.
    ceiling_height_m: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    single_storey: Mapped[bool | None] = mapped_column()  # False: floors are fine too
    needs_crane: Mapped[bool | None] = mapped_column()  # 行车; crane_t its tonnage if said
    crane_t: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    power_kva: Mapped[int | None] = mapped_column()
    floor_load_t: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))  # t/㎡
    standalone: Mapped[bool | None] = mapped_column()  # 独门独院
    divisible: Mapped[bool | None] = mapped_column()  # 可分割 wanted

    # Tax (税收) and investment, both in 万元
    annual_tax_wan: Mapped[Decimal | None] = mapped_column(MONEY)
    investment_wan: Mapped[Decimal | None] = mapped_column(MONEY)

    # Company (公司)
    company: Mapped[str] = mapped_column(String(120), default="")
    credit_code: Mapped[str | None] = mapped_column(String(18))
    # Early codes may carry a wrong check character: a warning for the agent, not a refusal.
    credit_code_valid: Mapped[bool | None] = mapped_column()

    # Contact person (联系人) and mobile (手机号)
    contact_name: Mapped[str] = mapped_column(String(60))
    # NULL for a prospect known only by WeChat (agent entry, the API; the public form when an
    # admin allows it: crm.intake.policy). NULL never equals NULL, so they are not one person.
    mobile_e164: Mapped[str | None] = mapped_column(String(16))
    mobile_display: Mapped[str] = mapped_column(String(20), default="")
    mobile_note: Mapped[str] = mapped_column(String(60), default="")  # e.g. 仅微信
    contact_preference: Mapped[str] = mapped_column(String(10), default="phone")
    wechat_id: Mapped[str] = mapped_column(String(60), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    message: Mapped[str] = mapped_column(Text, default="")

    # Consent (PIPL): which notice the prospect agreed to, and when.
    consent: Mapped[bool] = mapped_column(default=False)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_version: Mapped[str] = mapped_column(String(20), default="")

    # Who asked (crm.intake.match) and for which company (for a 同行: the end client). NULL
    # only for rows made outside intake before the contact columns move (issue 30).
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id", ondelete="SET NULL"))
    # This contact's Nth need (1: a new contact): 1 + their non-junk needs before it.
    contact_seq: Mapped[int | None] = mapped_column(SmallInteger)
    # A need split from a repeat inquiry that asked for something else.
    from_repeat_id: Mapped[int | None] = mapped_column(
        ForeignKey("inquiry_repeat.id", ondelete="SET NULL", use_alter=True))

    # Progress
    status: Mapped[str] = mapped_column(String(12), default="new")
    # Furthest pipeline stage ever reached (index in crm.leads.stages.PIPELINE; never decreases), the
    # rollup of lead_stage kept by crm.leads.stages so the funnel reads one row per lead.
    stage_rank: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    lost_reason: Mapped[str] = mapped_column(String(200), default="")  # the agent's free note
    # What an open need should bring (万元, the contract value) and when it may be signed:
    # the weighted pipeline and the forecast (a won need's figures are on its deal).
    expected_value_wan: Mapped[Decimal | None] = mapped_column(MONEY)
    expected_close_on: Mapped[date | None] = mapped_column(Date)
    lost_reason_id: Mapped[int | None] = mapped_column(ForeignKey("lost_reason.id", ondelete="SET NULL"))
    # Rule-based 0-100 (crm.leads.scoring); the reasons are computed when shown.
    score: Mapped[int | None] = mapped_column(index=True)
    # A duplicate folded into another lead: status "merged", history moved over.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id", ondelete="SET NULL"))
    # Personal fields anonymised (PIPL erase request or retention); counts stay.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    # The agent who brought the prospect in themselves (agent entry, kept): the lead is
    # protected for them (客户保护期, crm.intake.policy) and never routed away.
    sourced_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # NULL until routing has run once; the routing task only acts on NULL (idempotence).
    routed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Routing outcome and first-contact discipline (deadlines in working time).
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("routing_rule.id", ondelete="SET NULL"))
    # When the first-contact clock started, and whether its deadline fell in a year whose
    # holidays nobody had entered (Monday–Friday assumed; recomputed when they are).
    sla_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_provisional: Mapped[bool] = mapped_column(default=False, server_default=false())
    sla_half_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Big project: a senior follows it alongside the agent.
    escalated_to_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Latest "next follow-up" date an agent set, for the queue and the reminder.
    next_follow_up_on: Mapped[date | None] = mapped_column(Date)
    # Its time of day, when one was given (the date above stays the local day of it).
    next_follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Attribution
    page_url: Mapped[str] = mapped_column(String(1000), default="")
    referrer: Mapped[str] = mapped_column(String(1000), default="")
    utm_source: Mapped[str] = mapped_column(String(100), default="")
    utm_medium: Mapped[str] = mapped_column(String(100), default="")
    utm_campaign: Mapped[str] = mapped_column(String(100), default="")
    source_site_id: Mapped[int | None] = mapped_column(
        ForeignKey("source_site.id", ondelete="SET NULL"))
    # The listing the form was opened from. No foreign key yet: listings come later.
    listing_id: Mapped[int | None] = mapped_column()

    # Simplified-Chinese, lower-case text of the free-text fields, so 廠房 finds 厂房.
    search_text: Mapped[str] = mapped_column(Text, default="")
    # Why intake judged it spam (codes, comma-separated); empty for real leads.
    spam_reasons: Mapped[str] = mapped_column(String(300), default="")
    # Set when the auto-reply mail went out (the mail task acts only while NULL).
    auto_reply_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    assigned_to: Mapped["User | None"] = relationship(foreign_keys=[assigned_to_id])
    escalated_to: Mapped["User | None"] = relationship(foreign_keys=[escalated_to_id])
    sourced_by: Mapped["User | None"] = relationship(foreign_keys=[sourced_by_id])
    team: Mapped["Team | None"] = relationship()
    contact: Mapped["Contact | None"] = relationship()
    company_ref: Mapped["Company | None"] = relationship()
    rule: Mapped["RoutingRule | None"] = relationship()
    source_site: Mapped["SourceSite | None"] = relationship()
    repeats: Mapped[list["InquiryRepeat"]] = relationship(
        foreign_keys="InquiryRepeat.original_lead_id",
        order_by="InquiryRepeat.created_at.desc(), InquiryRepeat.id.desc()",
        cascade="all, delete-orphan", passive_deletes=True)
    lost_reason_ref: Mapped["LostReason | None"] = relationship()
    activities: Mapped[list["Activity"]] = relationship(
        order_by="Activity.created_at.desc(), Activity.id.desc()",
        cascade="all, delete-orphan", passive_deletes=True)

    __table_args__ = (
        # "My leads", newest first, keyset-paginated.
        Index("ix_lead_owner_created", "assigned_to_id", "created_at", "id"),
        # Reports by created-at range (and the manager's queue, newest first). On PostgreSQL
        # it carries what the report aggregates read, so they are index-only scans.
        Index("ix_lead_created_report", "created_at", postgresql_include=REPORT_COLUMNS),
        # A manager's reports: their team's leads by created-at range.
        Index("ix_lead_team_created", "team_id", "created_at",
              postgresql_include=[c for c in REPORT_COLUMNS if c != "team_id"]),
        # Lost reasons of a range: only lost leads, index-only on PostgreSQL.
        Index("ix_lead_lost", "created_at",
              postgresql_include=LOST_COLUMNS,
              postgresql_where=text("status = 'lost'"), sqlite_where=text("status = 'lost'")),
        # Duplicate lookup by mobile within a time window.
        Index("ix_lead_mobile_created", "mobile_e164", "created_at"),
        # Duplicate lookup by company + contact person when the mobile differs.
        Index("ix_lead_company_contact_created", "company", "contact_name", "created_at"),
        # A prospect known by WeChat only is found again by it (repeat inquiries, 撞单).
        Index("ix_lead_wechat_created", "wechat_id", "created_at"),
        # The sweeper's scan: only unrouted rows are in this partial index.
        Index("ix_lead_unrouted", "created_at",
              postgresql_where=text("routed_at IS NULL"),
              sqlite_where=text("routed_at IS NULL")),
        # The SLA sweeper: assigned leads nobody has contacted yet.
        Index("ix_lead_sla_open", "sla_due_at",
              postgresql_where=text("first_contact_at IS NULL AND sla_due_at IS NOT NULL"),
              sqlite_where=text("first_contact_at IS NULL AND sla_due_at IS NOT NULL")),
        # Open leads per agent (least-loaded strategy and capacity caps), and an agent's
        # open leads ranked for the queue.
        Index("ix_lead_owner_status", "assigned_to_id", "status",
              postgresql_include=["created_at", "id", *URGENCY_COLUMNS]),
        # The workspace's "mine" includes leads escalated to a senior: few, so partial.
        Index("ix_lead_escalated", "escalated_to_id",
              postgresql_where=text("escalated_to_id IS NOT NULL"),
              sqlite_where=text("escalated_to_id IS NOT NULL")),
        # A manager's scope: members' leads filed under another team (access.py).
        Index("ix_lead_owner_team", "assigned_to_id", "team_id"),
        Index("ix_lead_follow_up", "next_follow_up_on",
              postgresql_where=text("next_follow_up_on IS NOT NULL"),
              sqlite_where=text("next_follow_up_on IS NOT NULL")),
        # Timed follow-ups coming due (the reminder's range scan).
        Index("ix_lead_follow_up_at", "next_follow_up_at",
              postgresql_where=text("next_follow_up_at IS NOT NULL"),
              sqlite_where=text("next_follow_up_at IS NOT NULL")),
        # The workspace queue: a team's leads by status, newest first (keyset).
        Index("ix_lead_team_status_created", "team_id", "status", "created_at", "id",
              postgresql_include=URGENCY_COLUMNS),
        Index("ix_lead_status_created", "status", "created_at", "id",
              postgresql_include=URGENCY_COLUMNS),
        # A contact's (open) needs: matching, the contact page.
        Index("ix_lead_contact_status", "contact_id", "status", "created_at"),
        Index("ix_lead_company_created", "company_id", "created_at",
              postgresql_where=text("company_id IS NOT NULL"),
              sqlite_where=text("company_id IS NOT NULL")),
        # The forecast: open needs by their expected close date.
        Index("ix_lead_expected_close", "expected_close_on",
              postgresql_where=text("expected_close_on IS NOT NULL"),
              sqlite_where=text("expected_close_on IS NOT NULL")),
        # The weighted pipeline (crm.reporting.forecast): the open needs of a team (or all),
        # read from the index alone.
        Index("ix_lead_open_pipeline", "team_id", "status",
              postgresql_include=["assigned_to_id", "expected_value_wan", "expected_close_on"],
              postgresql_where=text(OPEN), sqlite_where=text(OPEN)),
        Index("ix_lead_from_repeat", "from_repeat_id",
              postgresql_where=text("from_repeat_id IS NOT NULL"),
              sqlite_where=text("from_repeat_id IS NOT NULL")),
        # Search: contact, company, usage, region and message; a reference; a mobile's
        # last four digits.
        *(postgresql_only(Index(name, column, postgresql_using="gin",
                                postgresql_ops={column: "gin_trgm_ops"}))
          for name, column in TRIGRAM_COLUMNS.items()),
        # Returning contacts' needs by created-at range: every contact with two needs in a
        # range has one of them here, so needs per contact never groups the whole range
        # (crm.reporting.contacts).
        Index("ix_lead_returning", "created_at",
              postgresql_include=["contact_id", "status", "team_id", "assigned_to_id"],
              postgresql_where=text(RETURNING), sqlite_where=text(RETURNING)),
        # Leads waiting for their first contact under a deadline: the queue's most urgent
        # bucket (queue.urgency), listed whole when searching. Few (a few thousand at a
        # million leads) and left as soon as someone calls.
        Index("ix_lead_awaiting_contact", "created_at",
              postgresql_include=["team_id", "assigned_to_id", "escalated_to_id", "sla_half_at"],
              postgresql_where=text(AWAITING_CONTACT), sqlite_where=text(AWAITING_CONTACT)),
        # Search for one or two characters (a surname, a place): the characters of
        # search_text (crm.models.sql.contains_short).
        postgresql_only(Index("ix_lead_search_chars", text("string_to_array(search_text, NULL)"),
                              postgresql_using="gin")),
    )

    @property
    def is_open(self) -> bool:
        from crm.choices import OPEN_STATUSES
        return self.status in OPEN_STATUSES

    @hybrid_property
    def new_need(self) -> bool:
        """新需求: a need of a contact known before, their second or later (a lead made
        before contacts, contact_seq NULL, is its own person's first)."""
        return is_new_need(self.contact_seq)

    @new_need.inplace.expression
    @classmethod
    def _new_need(cls):
        return func.coalesce(cls.contact_seq, 1) > 1

    @hybrid_property
    def place_to_confirm(self) -> bool:
        """待确认地点: the prospect named a place no reader could find (crm.regions.reader),
        so only the words are kept; the agent picks the place."""
        return self.region_code is None and bool(self.region_text)

    @place_to_confirm.inplace.expression
    @classmethod
    def _place_to_confirm(cls):
        return and_(cls.region_code.is_(None), cls.region_text != "")

    @property
    def masked_mobile(self) -> str:
        if not self.mobile_e164:
            return ""
        digits = self.mobile_e164.removeprefix("+86")
        return f"{digits[:3]}****{digits[-4:]}" if len(digits) == 11 else "****"

    def __repr__(self) -> str:
        return f"<Lead {self.reference}>"


def refresh_search_text(lead: Lead) -> None:
    """One place keeps search_text in step with the fields it is made of, whoever writes
    them: the ORM calls it on every insert and update (intake, edits, imports, merges,
    erasure); intake's Core INSERT calls it itself."""
    from crm.inputs.text import search_key
    lead.search_text = search_key(lead.contact_name, lead.company, lead.usage, lead.region_text,
                                  lead.message)


@event.listens_for(Lead, "before_insert")
@event.listens_for(Lead, "before_update")
def _refresh_search_text(_mapper, _connection, lead: Lead) -> None:
    refresh_search_text(lead)
