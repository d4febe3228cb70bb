"""An inquiry, typed: the one input `capture_inquiry` takes, whichever channel it came by.

Every channel validates with the InquiryForm, then hands capture an Inquiry:
- the public form, the embed and agent entry: `InquiryForm.to_inquiry()` (crm.intake.forms);
- the API's JSON: `crm.web.api.fields.inquiry_from_json()`;
- a pasted WeChat message: `crm.intake.message.inquiry_from_message()`;
- an import row: `crm.intake.importer.inquiry_from_row()`.
Who the prospect is (`contact`) and what they need (`need`) are kept apart: contacts are
matched against the people known, needs are kept per request.
"""
from collections.abc import Mapping
from dataclasses import dataclass, field

from crm.inputs.prospect import ContactInput, NeedInput

__all__ = ["ContactInput", "Inquiry", "NeedInput", "Source"]


@dataclass(frozen=True, slots=True)
class Source:
    """Where the inquiry came from: the channel, the partner site, the page and campaign."""
    channel: str = "web"               # crm.choices.CHANNELS
    source_site_id: int | None = None  # the embed's or the API key's site
    listing_id: int | None = None      # the listing page it was sent from
    page_url: str = ""
    referrer: str = ""
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""

    def lead_columns(self) -> dict:
        # Cut to the columns' sizes: a page's URL can be any length.
        return {"channel": self.channel, "source_site_id": self.source_site_id,
                "listing_id": self.listing_id, "page_url": self.page_url[:1000],
                "referrer": self.referrer[:1000], "utm_source": self.utm_source[:100],
                "utm_medium": self.utm_medium[:100], "utm_campaign": self.utm_campaign[:100]}


@dataclass(frozen=True, slots=True)
class Inquiry:
    contact: ContactInput
    need: NeedInput
    source: Source = Source()
    message: str = ""
    consent: bool = False              # the prospect ticked the privacy notice
    # Figures kept as typed (form field name → words) for the agent to confirm.
    unread: Mapping[str, str] = field(default_factory=dict)
    # Bot traps (crm.intake.spam): the hidden field people do not see, the signed time the
    # form was shown. Only the public form and embed fill them.
    honeypot: str = ""
    started: str = ""
