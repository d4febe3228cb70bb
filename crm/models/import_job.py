from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import Model
from crm.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:  # annotations only: the models import each other
    from crm.models.user import User


class ImportJob(Model):
    """One uploaded spreadsheet of leads, from mapping to the finished import."""
    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(200))
    # The uploaded file until the import task has read it (then None: it is not kept), and
    # the rows read from it (header + cells as text).
    upload: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    rows: Mapped[list] = mapped_column(JSON)
    headers: Mapped[list] = mapped_column(JSON)
    # What reading changed or refused, for the report (crm.intake.sheets.Table.notes).
    notes: Mapped[dict] = mapped_column(JSON, default=dict)
    # The dry run's outcome, computed by the task for one mapping and language
    # (crm.intake.importer.dry_run_for); without "ok" it is still being computed.
    dry_run: Mapped[dict | None] = mapped_column(JSON)
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)  # form field → column index
    # What to do with a mobile seen in the last 90 days: "skip" or "link" (import and mark).
    duplicates: Mapped[str] = mapped_column(String(8), default="skip")
    route: Mapped[bool] = mapped_column(default=True)  # False: keep imported leads unassigned
    # reading (file kept, task to read it), failed (unreadable: error says why), uploaded
    # (read, to be mapped), queued, running, done
    status: Mapped[str] = mapped_column(String(12), default="uploaded")
    total: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped["User | None"] = relationship()

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.total) if self.total else 100


class ImportRow(Model):
    """The outcome of one row: makes a re-run of the import task skip what is done."""
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("import_job.id", ondelete="CASCADE"))
    row_number: Mapped[int] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(10))  # created, linked, skipped, failed
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id", ondelete="SET NULL"))
    detail: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (UniqueConstraint("job_id", "row_number", name="uq_import_row_once"),)
