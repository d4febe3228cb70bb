"""The filtered queue as CSV or XLSX; mobiles masked unless the user may see them."""
import csv
import io
import tempfile

from flask_babel import gettext

from crm import access, choices, regions
from crm.formatting import local_time, whole_sqm
from crm.models import Lead, User


def headers() -> list[str]:
    return [gettext("Reference"), gettext("Received"), gettext("Status"), gettext("Score"),
            gettext("Contact person"), gettext("Mobile"), gettext("Company"),
            gettext("Rent or buy"), gettext("Property type"), gettext("Region"),
            gettext("Area from (㎡)"), gettext("Area to (㎡)"), gettext("Industry"),
            gettext("Annual tax (10k yuan)"), gettext("Investment (10k yuan)"),
            gettext("Channel"), gettext("utm_source"), gettext("Page"), gettext("Assigned to"),
            gettext("Next follow-up")]


def row(lead: Lead, user: User) -> list:
    return [lead.reference, local_time(lead.created_at), choices.label(choices.STATUSES, lead.status),
            lead.score if lead.score is not None else "", lead.contact_name,
            access.mobile_for(user, lead), lead.company,
            choices.label(choices.DEAL_TYPES, lead.deal_type),
            choices.label(choices.PROPERTY_TYPES, lead.property_type),
            regions.full_name(lead.region_code), _num(whole_sqm(lead.area_min_sqm)),
            _num(whole_sqm(lead.area_max_sqm)),
            choices.label(choices.INDUSTRIES, lead.industry), _num(lead.annual_tax_wan),
            _num(lead.investment_wan), choices.label(choices.CHANNELS, lead.channel),
            lead.utm_source, lead.page_url, lead.assigned_to.name if lead.assigned_to else "",
            lead.next_follow_up_on.isoformat() if lead.next_follow_up_on else ""]


def _num(value):
    return "" if value is None else str(value)


def _safe(value):
    # A cell starting with = + - @ is run as a formula by spreadsheet programs.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def csv_file(leads, user: User):
    """The CSV in a temporary file, written while the request's session is open (rows read
    lazily from a stream after the view returned met a closed session); a BOM so Excel
    opens the UTF-8 file correctly."""
    handle = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024, mode="w+b")
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow(headers())
    for lead in leads:
        writer.writerow([_safe(v) for v in row(lead, user)])
    text.flush()
    text.detach()
    handle.seek(0)
    return handle


def xlsx_file(leads, user: User):
    """A write-only workbook in a temporary file (rows go to disk as they are written)."""
    from openpyxl import Workbook
    book = Workbook(write_only=True)
    sheet = book.create_sheet("leads")
    sheet.append(headers())
    for lead in leads:
        sheet.append([_safe(v) for v in row(lead, user)])
    handle = tempfile.TemporaryFile()
    book.save(handle)
    handle.seek(0)
    return handle
