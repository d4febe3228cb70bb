"""Who a prospect is and what they need, typed: the two halves of an inquiry and of a lead edit.

Kept apart on purpose: a contact is matched against the people already known (mobile, else
WeChat ID, else company + name), a need is what they asked for. Both are made from a
validated InquiryForm (`InquiryForm.contact_input()` / `need_input()`), or directly by a
caller that has the values (a test, a script); nothing here knows WTForms or a request.
"""
from dataclasses import dataclass
from decimal import Decimal

from crm.choices import to_sqm
from crm.inputs.phone import Mobile, contact_preference


@dataclass(frozen=True, slots=True)
class ContactInput:
    """Who to reach. `mobile` is the parsed number (None: a WeChat-only prospect)."""
    name: str
    mobile: Mobile | None = None
    wechat_id: str = ""
    email: str = ""
    company: str = ""
    credit_code: str | None = None
    credit_code_valid: bool | None = None   # None: not given

    def lead_columns(self) -> dict:
        """The Lead columns this contact fills."""
        mobile = self.mobile
        return {
            "company": self.company,
            "credit_code": self.credit_code or None,
            "credit_code_valid": self.credit_code_valid,
            "contact_name": self.name,
            "mobile_e164": mobile.e164 if mobile else None,
            "mobile_display": mobile.display if mobile else "",
            "mobile_note": mobile.note if mobile else "",
            "contact_preference": contact_preference(mobile),
            "wechat_id": self.wechat_id,
            "email": self.email,
        }


@dataclass(frozen=True, slots=True)
class NeedInput:
    """What space is wanted. Areas as typed in `area_unit` (sqm or mu); requirement flags
    are True or None (not said), never False, except `single_storey` (False: floors fine)."""
    deal_type: str | None = None
    property_type: str | None = None
    region_code: str | None = None      # the place read from what was typed (crm.regions)
    region_text: str = ""               # words beside it, or all of them when none was read
    area_min: Decimal | None = None
    area_max: Decimal | None = None
    area_unit: str = "sqm"
    industry: str | None = None
    usage: str = ""
    needs_eia: bool | None = None
    # The building's requirements (crm.inputs.building.REQUIREMENTS).
    ceiling_height_m: Decimal | None = None
    single_storey: bool | None = None
    needs_crane: bool | None = None
    crane_t: Decimal | None = None
    power_kva: int | None = None
    floor_load_t: Decimal | None = None
    standalone: bool | None = None
    divisible: bool | None = None
    annual_tax_wan: Decimal | None = None
    investment_wan: Decimal | None = None

    @property
    def area_min_sqm(self) -> Decimal | None:
        return to_sqm(self.area_min, self.area_unit)

    @property
    def area_max_sqm(self) -> Decimal | None:
        return to_sqm(self.area_max, self.area_unit)

    def requirements(self) -> dict:
        return {"ceiling_height_m": self.ceiling_height_m, "single_storey": self.single_storey,
                "needs_crane": self.needs_crane, "crane_t": self.crane_t,
                "power_kva": self.power_kva, "floor_load_t": self.floor_load_t,
                "standalone": self.standalone, "divisible": self.divisible}

    def lead_columns(self) -> dict:
        """The Lead columns this need fills (areas in ㎡)."""
        return {
            "deal_type": self.deal_type or None,
            "property_type": self.property_type or None,
            "region_code": self.region_code or None,
            "region_text": self.region_text,
            "area_min_sqm": self.area_min_sqm,
            "area_max_sqm": self.area_max_sqm,
            "area_unit": self.area_unit,
            "industry": self.industry or None,
            "usage": self.usage,
            "needs_eia": self.needs_eia,
            **self.requirements(),
            "annual_tax_wan": self.annual_tax_wan,
            "investment_wan": self.investment_wan,
        }
