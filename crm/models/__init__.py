"""Every model, imported here so Alembic's autogenerate sees the whole schema."""
from crm.models.activity import Activity
from crm.models.audit import AuditLog
from crm.models.import_job import ImportJob, ImportRow
from crm.models.lead import Lead
from crm.models.listing import LeadListing, Listing
from crm.models.lost_reason import LostReason
from crm.models.notification import Notification, NotificationAttempt, NotificationChannel
from crm.models.routing_rule import RoutingRule
from crm.models.team import Team
from crm.models.user import User

__all__ = ["Activity", "AuditLog", "ImportJob", "ImportRow", "Lead", "LeadListing", "Listing",
           "LostReason", "Notification", "NotificationAttempt", "NotificationChannel",
           "RoutingRule", "Team", "User"]
