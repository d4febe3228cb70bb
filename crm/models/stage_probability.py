"""How likely an open need at a stage is to be signed (赢单概率), per team.

A row with team_id NULL is the default every team reads unless it has its own row for the
stage; a stage with no row at all reads crm.leads.pipeline.DEFAULT_PCT. The weighted
pipeline and the forecast (crm.reporting.forecast) weigh a need's expected value by it.
"""
from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import Model


class StageProbability(Model):
    __tablename__ = "stage_probability"
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(12))  # crm.choices.OPEN_STATUSES
    pct: Mapped[int] = mapped_column(SmallInteger)  # 0..100

    __table_args__ = (
        CheckConstraint("pct >= 0 AND pct <= 100", name="pct"),
        # One row per team and stage; one default (team NULL) per stage. The reports join
        # on (team_id, stage) and (stage) WHERE team_id IS NULL.
        Index("uq_stage_probability_team", "team_id", "stage", unique=True,
              postgresql_where=text("team_id IS NOT NULL"),
              sqlite_where=text("team_id IS NOT NULL")),
        Index("uq_stage_probability_default", "stage", unique=True,
              postgresql_where=text("team_id IS NULL"), sqlite_where=text("team_id IS NULL")),
    )

    def __repr__(self) -> str:
        return f"<StageProbability team={self.team_id} {self.stage} {self.pct}%>"
