"""Which available listings fit a lead, best first, with the reasons a person can check."""
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext
from sqlalchemy import select

from crm import regions
from crm.extensions import db
from crm.inputs import building
from crm.models import Lead, Listing

# Points out of 100.
TYPE_POINTS, DEAL_POINTS, REGION_POINTS, AREA_POINTS, EIA_POINTS = 30, 20, 25, 20, 5
AREA_TOLERANCE = Decimal("0.2")  # 20 % either side of the wanted range still fits, a bit less


@dataclass
class Match:
    listing: Listing
    score: int = 0
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    blocked: bool = False  # cannot work at all (e.g. 环评 needed, impossible here)


def _region_points(lead: Lead, listing: Listing) -> tuple[int, str | None]:
    if not lead.region_code:
        return 5, None
    if not listing.region_code:
        return 0, None
    if regions.within(listing.region_code, lead.region_code):
        return REGION_POINTS, gettext("In the wanted region")
    # Share the city, then the province: near is better than far.
    lead_places = {r.code for r in regions.ancestors(lead.region_code)}
    shared = [r for r in regions.ancestors(listing.region_code) if r.code in lead_places]
    if shared and shared[-1].depth >= 2:
        return 18, gettext("Same city")
    if shared or lead.region_code[:2] == listing.region_code[:2]:
        return 10, gettext("Same province")
    return 0, None


def _area_points(lead: Lead, listing: Listing) -> tuple[int, str | None, str | None]:
    lo = lead.area_min_sqm if lead.area_min_sqm is not None else lead.area_max_sqm
    hi = lead.area_max_sqm if lead.area_max_sqm is not None else lead.area_min_sqm
    if lo is None or hi is None:  # both or neither: each falls back on the other
        return 5, None, None
    area = listing.area_sqm
    if lo <= area <= hi:
        return AREA_POINTS, gettext("Area within the wanted range"), None
    if lo * (1 - AREA_TOLERANCE) <= area <= hi * (1 + AREA_TOLERANCE):
        return 12, gettext("Area close to the wanted range"), None
    if area > hi and listing.divisible:
        return 12, gettext("Larger, but divisible"), None
    return 0, None, gettext("Area far from the wanted range")


def score_listing(lead: Lead, listing: Listing) -> Match:
    match = Match(listing)
    points = 0
    if lead.property_type is None:
        points += 10
    elif listing.property_type == lead.property_type:
        points += TYPE_POINTS
        match.reasons.append(gettext("Same property type"))
    else:
        match.warnings.append(gettext("Different property type"))
    if lead.deal_type is None:
        points += 5
    elif listing.deal_type == lead.deal_type:
        points += DEAL_POINTS
        match.reasons.append(gettext("For rent, as wanted") if lead.deal_type == "rent"
                             else gettext("For sale, as wanted"))
    else:
        match.warnings.append(gettext("Rent and sale do not match"))
    region, why = _region_points(lead, listing)
    points += region
    if why:
        match.reasons.append(why)
    area, why, warning = _area_points(lead, listing)
    points += area
    if why:
        match.reasons.append(why)
    if warning:
        match.warnings.append(warning)
    if lead.needs_eia:
        if listing.eia_possible:
            points += EIA_POINTS
            match.reasons.append(gettext("Environmental assessment possible"))
        else:
            # A use that needs 环评 cannot move in: push it to the bottom.
            points -= 40
            match.blocked = True
            match.warnings.append(gettext("Needs environmental assessment, not possible here"))
    else:
        points += EIA_POINTS
    points += _requirements(lead, listing, match)
    match.score = max(0, min(100, points))
    return match


# A requirement the listing does not state costs a little (it may still fit: ask); one it
# states and fails blocks the listing, with the reason the page shows.
UNSTATED_POINTS, BLOCKED_POINTS, NOT_DIVISIBLE_POINTS = 5, 40, 5


def _requirements(lead: Lead, listing: Listing, match: Match) -> int:
    """The building's requirements (crm.inputs.building) against what the listing has."""
    points, unstated, failed = 0, [], []
    for name in ("ceiling_height_m", "crane_t", "power_kva", "floor_load_t"):
        need = getattr(lead, name)
        if name == "crane_t" and lead.needs_crane and need is None:
            need = Decimal("0.01")   # a crane of any size
        if need is None:
            continue
        measure, have = building.MEASURES[name], getattr(listing, name)
        if have is None:
            unstated.append(str(measure.noun))
        elif have < need:
            failed.append(gettext("%(what)s %(have)s, needs %(need)s", what=measure.noun,
                                  have=building.describe(name, have),
                                  need=building.describe(name, need))
                          if name != "crane_t" or lead.crane_t is not None
                          else gettext("No crane"))
        else:
            match.reasons.append(f"{measure.noun} {building.describe(name, have)}")
    if lead.single_storey:
        if listing.floors is None:
            unstated.append(gettext("Storeys"))
        elif listing.floors > 1:
            failed.append(gettext("%(n)d storeys, needs single storey", n=listing.floors))
        else:
            match.reasons.append(gettext("Single storey"))
    if lead.standalone:
        if listing.standalone is None:
            unstated.append(gettext("Standalone compound"))
        elif not listing.standalone:
            failed.append(gettext("Not a standalone compound"))
        else:
            match.reasons.append(gettext("Standalone compound"))
    if lead.divisible:
        if listing.divisible:
            match.reasons.append(gettext("Divisible"))
        else:
            points -= NOT_DIVISIBLE_POINTS
            match.warnings.append(gettext("Not divisible"))
    if unstated:
        points -= UNSTATED_POINTS * len(unstated)
        match.warnings.append(gettext("Not stated, ask: %(what)s", what=", ".join(unstated)))
    if failed:
        points -= BLOCKED_POINTS
        match.blocked = True
        match.warnings.extend(failed)
    return points


def rank(lead: Lead, limit: int = 5, minimum: int = 30, include_blocked: bool = False) -> list[Match]:
    """Available listings ranked by fit; a different property type is never suggested."""
    return fit(lead, limit, minimum, include_blocked)[0]


def fit(lead: Lead, limit: int = 5, minimum: int = 30,
        include_blocked: bool = False) -> tuple[list[Match], list[Match]]:
    """(rank's answer, the listings left out because a hard requirement fails: 环评, height,
    crane, power, load, storeys, standalone), from one scan; the page says why for each."""
    stmt = select(Listing).where(Listing.status == "available")
    if lead.property_type:
        stmt = stmt.where(Listing.property_type == lead.property_type)
    scored = [score_listing(lead, listing) for listing in db.session.scalars(stmt.limit(2000))]
    scored.sort(key=lambda m: (-m.score, m.listing.id))
    blocked = [m for m in scored if m.blocked and not include_blocked]
    matches = [m for m in scored if m.score >= minimum and (include_blocked or not m.blocked)]
    asked = db.session.get(Listing, lead.listing_id) if lead.listing_id else None
    if asked is not None and asked.status == "available":
        # The listing the prospect asked from comes first, whatever its score.
        first = next((m for m in matches if m.listing.id == asked.id), None) or score_listing(lead, asked)
        first.reasons.insert(0, gettext("The prospect asked from this listing's page"))
        matches = [first] + [m for m in matches if m.listing.id != asked.id]
        blocked = [m for m in blocked if m.listing.id != asked.id]
    return matches[:limit], blocked[:limit]
