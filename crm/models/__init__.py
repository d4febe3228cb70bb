"""Every model, imported here so Alembic's autogenerate sees the whole schema."""
from crm.models.activity import Activity
from crm.models.audit import AuditLog
from crm.models.calendar_day import CalendarDay
from crm.models.contact import Company, Contact
from crm.models.deal import Deal, DealListing, DealMilestone, DealRevision, DealShare
from crm.models.export_job import ExportJob  # noqa: F401  (for Alembic)
from crm.models.idempotency import ApiIdempotencyKey
from crm.models.import_job import ImportJob, ImportRow
from crm.models.lead import Lead
from crm.models.lead_stage import LeadStage  # noqa: F401  (for Alembic)
from crm.models.listing import LeadListing, Listing
from crm.models.listing_image import ListingImage
from crm.models.lost_reason import LostReason
from crm.models.notification import Notification, NotificationAttempt, NotificationChannel
from crm.models.park import Park
from crm.models.repeat import InquiryRepeat, repeat_window
from crm.models.routing_rule import RoutingRule
from crm.models.setting import Setting
from crm.models.source_site import SourceSite
from crm.models.source_spend import SourceSpend
from crm.models.stage_probability import StageProbability
from crm.models.team import Team
from crm.models.user import Role, User
from crm.models.visit import Recommendation, SiteVisit, SiteVisitListing, VisitRequest

__all__ = ["Activity", "ApiIdempotencyKey", "AuditLog", "CalendarDay", "Company", "Contact",
           "Deal", "DealListing", "DealMilestone", "DealRevision", "DealShare",
           "ImportJob", "ImportRow", "InquiryRepeat",
           "Lead", "LeadListing", "Listing", "ListingImage", "LostReason", "Notification",
           "NotificationAttempt", "NotificationChannel", "Park", "Recommendation", "Role",
           "RoutingRule", "Setting", "SiteVisit", "SiteVisitListing", "SourceSite", "SourceSpend",
           "StageProbability", "Team", "User",
           "VisitRequest",
           "repeat_window"]
