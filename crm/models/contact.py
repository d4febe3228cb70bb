"""The person behind inquiries (联系人) and the company they are for (企业), apart from the
needs they bring (a `Lead` is one need). Matching an inquiry to them: crm.intake.match."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import Model
from crm.models.lead import postgresql_only
from crm.models.types import UTCDateTime, utcnow


class Company(Model):
    """A company as prospects name it: nothing personal (a 个体户's name is erased with its
    person: crm.privacy). Found by its credit code, else by `name_key`."""
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    name: Mapped[str] = mapped_column(String(120))  # as written
    # crm.inputs.company.name_key(); NULL when a company with another credit code holds it.
    name_key: Mapped[str | None] = mapped_column(String(120))
    credit_code: Mapped[str | None] = mapped_column(String(18))
    credit_code_valid: Mapped[bool | None] = mapped_column()
    industry: Mapped[str | None] = mapped_column(String(30))

    __table_args__ = (
        Index("uq_company_credit_code", "credit_code", unique=True,
              postgresql_where=text("credit_code IS NOT NULL"),
              sqlite_where=text("credit_code IS NOT NULL")),
        Index("uq_company_name_key", "name_key", unique=True,
              postgresql_where=text("name_key IS NOT NULL"),
              sqlite_where=text("name_key IS NOT NULL")),
    )

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<Company {self.id}>"


class Contact(Model):
    """One person (a 同行 forwarding clients' needs is one contact too): found by mobile,
    else WeChat ID, else company + name. One contact per mobile; WeChat ID and names may
    repeat (a second phone, namesakes)."""
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    name: Mapped[str] = mapped_column(String(60), default="")
    name_key: Mapped[str] = mapped_column(String(60), default="")  # crm.inputs.text.compact_key
    # NULL: known by WeChat or name only, or erased (the number asking again is a new person).
    mobile_e164: Mapped[str | None] = mapped_column(String(16))
    mobile_display: Mapped[str] = mapped_column(String(20), default="")
    mobile_note: Mapped[str] = mapped_column(String(60), default="")
    wechat_id: Mapped[str | None] = mapped_column(String(60))  # a valid ID only (is_wechat_id)
    email: Mapped[str] = mapped_column(String(254), default="")
    contact_preference: Mapped[str] = mapped_column(String(10), default="phone")
    # The latest notice agreed to; each need keeps its own evidence too.
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_version: Mapped[str] = mapped_column(String(20), default="")
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id", ondelete="SET NULL"))
    is_peer: Mapped[bool] = mapped_column(default=False, server_default=false())  # 同行
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    company: Mapped["Company | None"] = relationship()

    __table_args__ = (
        # One contact per mobile; erased and WeChat-only contacts (NULL) stay out.
        Index("uq_contact_mobile", "mobile_e164", unique=True,
              postgresql_where=text("mobile_e164 IS NOT NULL"),
              sqlite_where=text("mobile_e164 IS NOT NULL")),
        Index("ix_contact_wechat", "wechat_id",
              postgresql_where=text("wechat_id IS NOT NULL"),
              sqlite_where=text("wechat_id IS NOT NULL")),
        Index("ix_contact_company_name", "company_id", "name_key"),
        # The company page lists a company's contacts oldest first, 50 at a time: in index
        # order, never a sort of a group's tens of thousands of people.
        Index("ix_contact_company_created", "company_id", "created_at", "id"),
        # Queue search by a mobile's last digits.
        postgresql_only(Index("ix_contact_mobile_trgm", "mobile_e164", postgresql_using="gin",
                              postgresql_ops={"mobile_e164": "gin_trgm_ops"})),
    )

    def __repr__(self) -> str:
        return f"<Contact {self.id}>"
