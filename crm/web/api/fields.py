"""The API's flat JSON fields, how each maps onto InquiryForm, and their JSON types.

The form is the one place an inquiry is validated; this module only checks JSON
types (a list where a string belongs) and turns the object into form data.
One table (FIELDS) feeds both the mapping and the OpenAPI document.
"""
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from crm import choices, regions
from crm.inputs import building
from crm.inputs.readable import READABLE
from crm.intake.forms import InquiryForm
from crm.intake.inquiry import Inquiry


@dataclass(frozen=True)
class Field:
    # text | number | measure | integer | eia | storey | flag | consent | region
    kind: str
    form: str                 # the InquiryForm field it feeds
    description: str
    max_length: int | None = None
    enum: tuple[str, ...] | None = None
    required: bool = False
    pattern: str | None = None        # what the form accepts, as the OpenAPI document says
    format: str | None = None


# A letter or a digit (crm.inputs.text.READABLE), the form's own rule for names.
SOMETHING_TO_READ = READABLE
CREDIT_CODE = "^[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10}$"


FIELDS: dict[str, Field] = {
    "deal_type": Field("text", "deal_type", "rent or buy", enum=tuple(choices.DEAL_TYPES)),
    "property_type": Field("text", "property_type", "what kind of space",
                           enum=tuple(choices.PROPERTY_TYPES)),
    "region": Field("region", "region_code",
                    "a GB/T 2260 region code (e.g. 330522 for 长兴县, 3305 for 湖州) or a park's code "
                    "(310117P01); an old dotted code (zj.huzhou.changxing) is still accepted; "
                    "else words (浙江省湖州市长兴县, 湖州长兴, a park's name), read as every channel "
                    "reads a place; words naming no known place are kept, marked place to confirm",
                    max_length=120),
    "area_min": Field("number", "area_min", "smallest area, in area_unit (a unit written in the "
                      "text wins: \"30亩\"); land defaults to mu; a range in the text (\"3000-5000平\", "
                      "\"3-5千平\") gives area_max too"),
    "area_max": Field("number", "area_max", "largest area, in area_unit; not below area_min"),
    "area_unit": Field("text", "area_unit", "sqm (㎡) or mu (亩, 666.67 ㎡); default sqm",
                       enum=tuple(choices.AREA_UNITS)),
    "industry": Field("text", "industry", "industry track", enum=tuple(choices.INDUSTRIES)),
    "usage": Field("text", "usage", "what will be made or stored", max_length=500),
    "needs_eia": Field("eia", "needs_eia", "needs an environmental assessment (环评); null: unknown"),
    # The building's requirements (crm.inputs.building): the least the prospect needs.
    "ceiling_height_m": Field("measure", "ceiling_height_m", "least clear height (层高), m; a "
                              "string may carry its unit: \"8米\", \"800cm\""),
    "single_storey": Field("storey", "single_storey", "true: single storey only (单层); false: "
                           "floors are fine too; null: not said"),
    "needs_crane": Field("flag", "needs_crane", "needs a crane (行车); implied by crane_t"),
    "crane_t": Field("measure", "crane_t", "least crane tonnage, t (\"10吨\", \"10T\")"),
    "power_kva": Field("measure", "power_kva", "least power (配电, transformer capacity), kVA; a "
                       "string may say kVA, 千伏安 or MVA (\"2MVA\" → 2000); a string without "
                       "a unit below 10 is refused (kVA or MVA?); kW is refused"),
    "floor_load_t": Field("measure", "floor_load_t", "least floor load (承重), t/㎡; a string "
                          "may say 吨, t or kg/㎡ (\"3000kg/㎡\" → 3)"),
    "standalone": Field("flag", "standalone", "wants a standalone compound (独门独院)"),
    "divisible": Field("flag", "divisible", "wants a divisible space (可分割)"),
    "annual_tax_wan": Field("number", "annual_tax_wan", "expected annual tax, 万元 (text may say "
                            "元, 万 or 亿: \"500万\", \"1.2亿\")"),
    "investment_wan": Field("number", "investment_wan", "total investment, 万元 (text may say "
                            "元, 万 or 亿)"),
    "company": Field("text", "company", "company name", max_length=120),
    "credit_code": Field("text", "credit_code", "统一社会信用代码 (18 characters; a wrong check "
                         "character is accepted and flagged)", max_length=40, pattern=CREDIT_CODE),
    "contact_name": Field("text", "contact_name", "contact person", max_length=60, required=True,
                          pattern=SOMETHING_TO_READ),
    "mobile": Field("text", "mobile", "mainland mobile; +86/0086, spaces, full-width digits and a "
                    "trailing note such as 仅微信 are accepted. Give a mobile or a WeChat ID "
                    "(at least one)", max_length=80),
    "wechat": Field("text", "wechat_id", "WeChat ID (6-20 letters, digits, - or _, starting with "
                    "a letter, or a mobile number); required when there is no mobile",
                    max_length=60),
    "email": Field("text", "email", "email address (gets an auto-reply)", max_length=254,
                   format="email"),
    "message": Field("text", "message", "anything else", max_length=2000),
    "consent": Field("consent", "consent", "the prospect agreed to the privacy notice; must be true",
                     required=True),
    "page_url": Field("text", "page_url", "the page the inquiry was made on", max_length=1000),
    "referrer": Field("text", "referrer", "that page's referrer", max_length=1000),
    "utm_source": Field("text", "utm_source", "UTM source", max_length=100),
    "utm_medium": Field("text", "utm_medium", "UTM medium", max_length=100),
    "utm_campaign": Field("text", "utm_campaign", "UTM campaign", max_length=100),
    "listing_id": Field("integer", "listing_id", "the listing the inquiry is about"),
}

# Form field → API field, for error keys (region_text and region_code both come from region).
API_NAME = {f.form: name for name, f in FIELDS.items()} | {"region_text": "region"}


def _number_text(value) -> str:
    try:
        return format(Decimal(str(value)), "f")
    except (InvalidOperation, ValueError):
        return str(value)


def to_formdata(body: dict) -> tuple[MultiDict, dict[str, list[str]]]:
    """JSON object → (form data, type errors keyed by API field name)."""
    data: MultiDict = MultiDict()
    errors: dict[str, list[str]] = {}
    for name, value in body.items():
        field = FIELDS.get(name) if isinstance(name, str) else None
        if field is None:
            errors[str(name)[:60]] = [str(_l("Unknown field."))]
            continue
        if value is None:
            if field.kind == "eia":
                data[field.form] = "unknown"
            continue
        kind = field.kind
        if kind in ("text", "region"):
            if not isinstance(value, str):
                errors[name] = [str(_l("Must be a string."))]
            elif kind == "region" and regions.canonical(value):
                data["region_code"] = regions.canonical(value)   # an old dotted code too
            elif kind == "region":
                data["region_text"] = value
            else:
                data[field.form] = value
        elif kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                errors[name] = [str(_l("Must be a number."))]
            else:
                data[field.form] = value if isinstance(value, str) else _number_text(value)
        elif kind == "measure":
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                errors[name] = [str(_l("Must be a number."))]
            elif isinstance(value, str):
                data[field.form] = value
            else:  # a JSON number is in the field's own unit, whatever its size
                data[field.form] = _number_text(value) + building.MEASURES[field.form].unit
        elif kind in ("flag", "storey"):
            if not isinstance(value, bool):
                errors[name] = [str(_l("Must be true, false or null."))]
            elif kind == "storey":
                data[field.form] = "single" if value else "any"
            elif value:
                data[field.form] = "y"
        elif kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                errors[name] = [str(_l("Must be a whole number."))]
            else:
                data[field.form] = str(value)
        elif kind == "eia":
            if not isinstance(value, bool):
                errors[name] = [str(_l("Must be true, false or null."))]
            else:
                data[field.form] = "yes" if value else "no"
        elif kind == "consent":
            if not isinstance(value, bool):
                errors[name] = [str(_l("Must be true or false."))]
            else:  # the form's ConsentField judges it, as on every channel
                data[field.form] = "true" if value else "false"
    return data, errors


def form_errors(form, body: dict) -> dict[str, list[str]]:
    """The form's per-field messages under the API's field names, and the text fields sent
    longer than the schema's maxLength (refused, never cut; the form checks some of them
    itself, the attribution fields only here)."""
    out: dict[str, list[str]] = {}
    for form_name, messages in form.errors.items():
        name = API_NAME.get(form_name, form_name)
        out.setdefault(name, []).extend(str(m) for m in messages)
    for name, value in body.items():
        field = FIELDS.get(name)
        if (field is not None and field.max_length and isinstance(value, str)
                and len(value) > field.max_length and name not in out):
            out[name] = [str(_l("Please keep this under %(n)d characters.", n=field.max_length))]
    return out


def inquiry_from_json(body: dict, source_site_id: int
                      ) -> tuple[Inquiry | None, dict[str, list[str]]]:
    """The API's JSON object as an Inquiry (channel "api", from the key's site), or None and
    the messages under the API's field names: JSON types first, then the InquiryForm's
    checks, as on every channel."""
    formdata, type_errors = to_formdata(body)
    if type_errors:
        return None, type_errors
    form = InquiryForm(formdata=formdata, meta={"csrf": False}, mobile_required=False,
                       keep_unread_figures=True)
    form.validate()
    if messages := form_errors(form, body):
        return None, messages
    return form.to_inquiry(channel="api", source_site_id=source_site_id), {}
