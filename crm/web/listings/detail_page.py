"""What the staff listing page shows, for the two route modules that render it: views.py
(the page) and photos.py (the page again after a refused upload or caption)."""
from flask_login import current_user

from crm import access
from crm.listings import images, inventory, occupancy
from crm.models import Listing
from crm.reporting import listing_stats
from crm.web.listings.forms import CaptionForm, PhotoUploadForm


def detail_context(listing: Listing) -> dict:
    # Only the leads this user may see are listed.
    links = [link for link in inventory.links_of_listing(listing)
             if access.can_view(current_user, link.lead)]
    numbers = listing_stats.stats(current_user, [listing.id])
    return {"listing": listing, "links": links, "stats": numbers.get(listing.id),
            "occupancy": occupancy.of_listing(listing)}


def panel(listing: Listing, upload_form: PhotoUploadForm | None = None) -> dict:
    """What the staff listing page needs to show and manage the photos."""
    rows = images.of_listing(listing)
    return {"images": rows, "upload_form": upload_form or PhotoUploadForm(),
            "caption_forms": {image.id: CaptionForm(prefix=f"c{image.id}",
                                                    caption=image.caption) for image in rows},
            "can_edit": access.can_edit_listing(current_user, listing),
            "processing": any(image.status == "pending" for image in rows)}
