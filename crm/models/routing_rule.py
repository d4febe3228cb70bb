from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import Model
from crm.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:  # annotations only: the models import each other
    from crm.models.source_site import SourceSite
    from crm.models.team import Team
    from crm.models.user import User

STRATEGIES = ("round_robin", "least_loaded", "weighted")


class RoutingRule(Model):
    """One line of the ordered routing table: conditions → a team or an agent.

    Every condition left empty matches anything, so a rule with none is a catch-all.
    """
    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(default=100, index=True)
    name: Mapped[str] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(default=True)

    # Conditions
    deal_type: Mapped[str | None] = mapped_column(String(10))
    property_type: Mapped[str | None] = mapped_column(String(12))
    region_code: Mapped[str | None] = mapped_column(String(60))  # matches its sub-regions
    industry: Mapped[str | None] = mapped_column(String(30))
    channel: Mapped[str | None] = mapped_column(String(10))
    source_site_id: Mapped[int | None] = mapped_column(
        ForeignKey("source_site.id", ondelete="SET NULL"))
    area_min_sqm: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    area_max_sqm: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    min_tax_wan: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    min_investment_wan: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))

    # Target and how to pick within it
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    strategy: Mapped[str] = mapped_column(String(16), default="round_robin")

    # First-contact discipline
    sla_minutes: Mapped[int] = mapped_column(default=30)  # working minutes
    reassign_on_breach: Mapped[bool] = mapped_column(default=False)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team: Mapped["Team | None"] = relationship()
    agent: Mapped["User | None"] = relationship()
    source_site: Mapped["SourceSite | None"] = relationship()
