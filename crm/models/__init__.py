"""Every model, imported here so Alembic's autogenerate sees the whole schema."""
from crm.models.activity import Activity
from crm.models.lead import Lead
from crm.models.team import Team
from crm.models.user import User
from crm.models.lead_stage import LeadStage  # noqa: F401  (for Alembic)
from crm.models.export_job import ExportJob  # noqa: F401  (for Alembic)

__all__ = ["Activity", "Lead", "Team", "User"]
