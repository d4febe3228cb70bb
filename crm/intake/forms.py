"""The inquiry form: the single place where an inquiry is validated (form and, later, API)."""
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Optional, ValidationError
from wtforms.widgets import TelInput

from crm import choices
from crm.i18n import CachedTranslationsMeta
from crm.inputs import building
from crm.inputs.building import MEASURES, MeasureField
from crm.inputs.credit_code import normalise_credit_code
from crm.inputs.fields import (
    ConsentField,
    LooseDecimalField,
    RegionField,
    clean,
    clean_multiline,
    max_length,
    options,
    settle_area_unit,
)
from crm.inputs.forms import Form
from crm.inputs.phone import PhoneError, asks_wechat_only, parse_mobile
from crm.inputs.readable import has_something_to_read
from crm.inputs.wechat import MOBILE_SHAPED, is_wechat_id
from crm.intake import policy
from crm.intake.inquiry import ContactInput, Inquiry, NeedInput, Source
from crm.listings import inventory
from crm.regions.reader import read_field

# The fields a prospect types a figure in. On the prospect's channels one that cannot be
# stored as meant is kept as typed for the agent (InquiryForm.unread), never a refusal.
FIGURES = ("area_min", "area_max", "annual_tax_wan", "investment_wan", *MEASURES)
_EIA = {"yes": True, "no": False}
# Words kept as typed are cut here: a note on the lead and a line on the thank-you page.
_UNREAD_MAX = 120


class InquiryForm(Form):
    class Meta(CachedTranslationsMeta):
        pass

    # 需求 Need
    deal_type = RadioField(_l("Rent or buy"), choices=options(choices.DEAL_TYPES),
                           validators=[Optional()])
    property_type = RadioField(_l("Property type"), choices=options(choices.PROPERTY_TYPES),
                               validators=[Optional()])
    # Never refused: words no place matches are kept in region_text ("place to confirm").
    region_code = RegionField(_l("Region"), validators=[Optional()], keep_unread=True)
    region_text = StringField(_l("Place or park (free text)"), filters=[clean],
                              validators=[max_length(120)])
    area_min = LooseDecimalField(_l("Area from"), maximum=Decimal("100000000"), kind="area",
                                 ranges=True,
                                 validators=[Optional()])
    area_max = LooseDecimalField(_l("Area to"), maximum=Decimal("100000000"), kind="area",
                                 ranges=True,
                                 validators=[Optional()])
    area_unit = RadioField(_l("Unit"), choices=options(choices.AREA_UNITS), default="sqm",
                           validators=[Optional()])
    # 用途 Usage
    industry = SelectField(_l("Industry"), choices=options(choices.INDUSTRIES, blank="—"),
                           validators=[Optional()])
    usage = StringField(_l("What will be made or stored"), filters=[clean],
                        validators=[max_length(500)])
    needs_eia = RadioField(_l("Needs environmental assessment (环评)"),
                           choices=options(choices.EIA_CHOICES), default="unknown",
                           validators=[Optional()])
    # 更多要求 The building's requirements (crm.inputs.building), all optional.
    ceiling_height_m = MeasureField(MEASURES["ceiling_height_m"].need_label,
                                   measure="ceiling_height_m", validators=[Optional()])
    single_storey = RadioField(building.STOREY_LABEL, choices=options(building.STOREYS),
                               validators=[Optional()])
    needs_crane = BooleanField(building.FLAGS["needs_crane"])
    crane_t = MeasureField(MEASURES["crane_t"].need_label, measure="crane_t",
                          validators=[Optional()])
    power_kva = MeasureField(MEASURES["power_kva"].need_label, measure="power_kva",
                            validators=[Optional()])
    floor_load_t = MeasureField(MEASURES["floor_load_t"].need_label, measure="floor_load_t",
                               validators=[Optional()])
    standalone = BooleanField(building.FLAGS["standalone"])
    divisible = BooleanField(building.FLAGS["divisible"])
    # 税收 Tax and investment
    # Beyond these a figure is a typo (元 typed as 万元): 100亿元 tax a year, 1万亿元 invested.
    annual_tax_wan = LooseDecimalField(_l("Expected annual tax (10k yuan)"), kind="money",
                                       maximum=Decimal("1000000"), validators=[Optional()])
    investment_wan = LooseDecimalField(_l("Total investment (10k yuan)"), kind="money",
                                       maximum=Decimal("100000000"), validators=[Optional()])
    # 公司 Company
    company = StringField(_l("Company"), filters=[clean], render_kw={"autocomplete": "organization"},
                          validators=[max_length(120)])
    credit_code = StringField(_l("Unified social credit code"), filters=[clean])
    # 联系人 / 手机号 Contact
    contact_name = StringField(_l("Contact person"), filters=[clean],
                               render_kw={"autocomplete": "name"}, validators=[
        DataRequired(_l("Please tell us who to contact.")), max_length(60)])
    # Required or not per form: see __init__ and crm.intake.policy.
    mobile = StringField(_l("Mobile"), filters=[clean], widget=TelInput(),
                         render_kw={"autocomplete": "tel", "inputmode": "tel"})
    wechat_id = StringField(_l("WeChat ID"), filters=[clean], validators=[max_length(60)])
    email = StringField(_l("Email"), filters=[clean], render_kw={"autocomplete": "email",
                                                                   "inputmode": "email"}, validators=[
        Optional(), Email(_l("Please enter a valid email address."), check_deliverability=False),
        max_length(254)])
    message = TextAreaField(_l("Anything else"), filters=[clean_multiline],
                            validators=[max_length(2000)])
    consent = ConsentField(_l("I agree to the privacy notice"), message=_l(
        "Please agree to the privacy notice so we can contact you."))
    # Attribution, filled from the page that opened the form.
    page_url = HiddenField(filters=[clean])
    referrer = HiddenField(filters=[clean])
    utm_source = HiddenField(filters=[clean])
    utm_medium = HiddenField(filters=[clean])
    utm_campaign = HiddenField(filters=[clean])
    listing_id = HiddenField(filters=[clean])
    # Bot traps (judged by crm.intake.spam, never a validation error): a field people
    # do not see, and a signed time the form was shown.
    website = StringField(_l("Leave this empty"), filters=[clean])
    started = HiddenField(filters=[clean])

    # Set by validation, read by the intake service (None: no mobile, a WeChat-only prospect).
    parsed_mobile = None
    credit_code_valid = None
    listing = None

    def __init__(self, *args, mobile_required: bool | None = None,
                 keep_unread_figures: bool = False, **kwargs):
        """`mobile_required`: None follows the admin's rule for the public form; agent entry,
        the API and the importer pass False and take a mobile or a WeChat ID.
        `keep_unread_figures`: the prospect's channels (form, embed, API) never refuse an
        inquiry over a figure: one that cannot be stored as meant leaves its field empty
        and its words go to `unread` (field name → as typed) for the agent to confirm.
        Agent entry and lead edit keep the message next to the field."""
        super().__init__(*args, **kwargs)
        self.keep_unread_figures = keep_unread_figures
        self.unread: dict[str, str] = {}
        if mobile_required is None:
            mobile_required = policy.current().public_mobile_required
        self.mobile_required = mobile_required
        self.mobile.flags.required = mobile_required

    def validate_contact_name(self, field):
        if field.data and not has_something_to_read(field.data):
            raise ValidationError(_l("Please write a name in letters or characters, e.g. 王经理."))

    def validate_mobile(self, field):
        if not field.data or asks_wechat_only(field.data):  # see validate()
            return
        try:
            self.parsed_mobile = parse_mobile(field.data)
        except PhoneError as exc:
            raise ValidationError(exc.message) from None

    def validate_credit_code(self, field):
        try:
            code, ok = normalise_credit_code(field.data)
        except ValueError:
            raise ValidationError(_l("A unified social credit code has 18 letters and digits "
                                     "(no I, O, S, V or Z).")) from None
        field.data = code
        self.credit_code_valid = ok

    def validate_listing_id(self, field):
        if not field.data:
            return
        if not field.data.isascii() or not field.data.isdigit() or not 0 < int(field.data) < 2**31:
            raise ValidationError(_l("Please give the listing as a whole number."))
        if not inventory.exists(int(field.data)):
            # Never a dangling id. The box is emptied, so sending again (the prospect cannot
            # edit this hidden field) sends the inquiry without it.
            field.data = ""
            raise ValidationError(_l("The listing you asked about is no longer on our site; "
                                     "please send again to make your inquiry without it."))
        self.listing = int(field.data)

    def validate(self, extra_validators=None) -> bool:
        if self.keep_unread_figures:
            # Reading errors are raised while the data is processed (LooseDecimalField,
            # MeasureField): taken here, before validation counts them.
            for name in FIGURES:
                if self[name].process_errors:
                    self._keep_as_typed(self[name])
        valid = super().validate(extra_validators)
        self._settle_place()
        if not self.mobile.data or asks_wechat_only(self.mobile.data):
            valid = self._without_mobile() and valid
        settle_area_unit(self.area_unit, self.area_min, self.area_max,
                         land=self.property_type.data == "land")
        low, high = self.area_min.data, self.area_max.data
        if low is not None and high is not None and high < low:
            if self.keep_unread_figures:   # which one is wrong is not ours to guess
                self._keep_as_typed(self.area_min)
                self._keep_as_typed(self.area_max)
            else:
                self.area_max.errors = [*self.area_max.errors,
                                        _l("The upper bound is smaller than the lower bound.")]
                valid = False
        return valid

    # --- the typed input services take (crm.intake.inquiry), from a validated form --------

    def contact_input(self) -> ContactInput:
        return ContactInput(name=self.contact_name.data or "", mobile=self.parsed_mobile,
                            wechat_id=self.wechat_id.data or "", email=self.email.data or "",
                            company=self.company.data or "",
                            credit_code=self.credit_code.data or None,
                            credit_code_valid=self.credit_code_valid)

    def need_input(self) -> NeedInput:
        return NeedInput(
            deal_type=self.deal_type.data or None, property_type=self.property_type.data or None,
            region_code=self.region_code.data or None, region_text=self.region_text.data or "",
            area_min=self.area_min.data, area_max=self.area_max.data,
            area_unit=self.area_unit.data or "sqm", industry=self.industry.data or None,
            usage=self.usage.data or "", needs_eia=_EIA.get(self.needs_eia.data),
            **building.requirements_from_form(self),
            annual_tax_wan=self.annual_tax_wan.data, investment_wan=self.investment_wan.data)

    def to_inquiry(self, channel: str = "web", source_site_id: int | None = None) -> Inquiry:
        """The validated form as the Inquiry capture takes (public form, embed, agent entry,
        and the API's and the importer's form data)."""
        return Inquiry(
            contact=self.contact_input(), need=self.need_input(),
            source=Source(channel=channel, source_site_id=source_site_id, listing_id=self.listing,
                          page_url=self.page_url.data or "", referrer=self.referrer.data or "",
                          utm_source=self.utm_source.data or "",
                          utm_medium=self.utm_medium.data or "",
                          utm_campaign=self.utm_campaign.data or ""),
            message=self.message.data or "", consent=self.consent.data is True,
            unread=dict(self.unread), honeypot=self.website.data or "",
            started=self.started.data or "")

    def _keep_as_typed(self, field) -> None:
        typed = str(clean(field.raw_data[0])).strip() if field.raw_data else ""
        if not typed and field.data is not None:   # the high end read from the other box
            typed = format(field.data, "f")
        if typed:
            self.unread[field.name] = typed[:_UNREAD_MAX]
        field.process_errors = []
        field.data = field.range_high = field.typed_unit = None

    def unread_labelled(self) -> list[tuple[object, str]]:
        return labelled(self.unread)

    def _settle_place(self) -> None:
        """The place as crm.regions.reader reads it, whichever box it was typed in (the
        importer's and the API's words arrive in region_text): a code when one place is
        named; the words beside it, or all of them when none is, kept as typed."""
        code, text = self.region_code, self.region_text
        if code.data is None and not code.words and text.data:
            reading = read_field(text.data)
            code.data, text.data = reading.code, reading.words if reading.code else text.data
        elif code.words and code.words not in (text.data or ""):
            text.data = " ".join(w for w in (code.words, text.data) if w)[:120]

    def _without_mobile(self) -> bool:
        if self.mobile_required:
            self.mobile.errors = [*self.mobile.errors, _l(
                "Please enter a mobile number; you may add “WeChat only” after it.")
                if self.mobile.data else _l("Please enter a mobile number.")]
            return False
        if not self.wechat_id.data and self.mobile.data:  # "仅微信" typed in the mobile box
            self.wechat_id.errors = [*self.wechat_id.errors,
                                     _l("Please give your WeChat ID so we can add you.")]
            return False
        if not self.wechat_id.data:
            self.mobile.errors = [*self.mobile.errors,
                                  _l("Please give a mobile number or a WeChat ID.")]
            return False
        if MOBILE_SHAPED.fullmatch(self.wechat_id.data):
            # A WeChat ID that is a mobile number (微信同号) is the mobile: the prospect is found
            # again, limited and erased by it like anyone who typed it in the mobile box.
            self.parsed_mobile = parse_mobile(self.wechat_id.data)
            return True
        if not is_wechat_id(self.wechat_id.data):
            # Without a mobile, the WeChat ID is how the prospect is reached and found again.
            self.wechat_id.errors = [*self.wechat_id.errors, _l(
                "A WeChat ID has 6 to 20 letters, digits, - or _ and starts with a letter; "
                "without a mobile number we need the real ID.")]
            return False
        return True


def labelled(unread: dict | None) -> list[tuple[object, str]]:
    """(field label, words as typed) of the figures kept as typed (InquiryForm.unread, or
    the `unread` of understood()), in the form's order: the lead's note, the thank-you page."""
    if not isinstance(unread, dict):
        return []
    return [(getattr(InquiryForm, name).args[0], str(unread[name])) for name in FIGURES
            if name in unread]
