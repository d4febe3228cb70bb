from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from crm import choices
from crm.inputs.building import MEASURES, YES_NO, MeasureField, yes_no_code, yes_no_value
from crm.inputs.dates import DayField
from crm.inputs.fields import (
    LooseDecimalField,
    RegionField,
    clean,
    clean_multiline,
    given,
    max_length,
    options,
    settle_area_unit,
)
from crm.inputs.forms import Form
from crm.listings.inventory import ListingInput


class ListingForm(Form):
    title = StringField(_l("Title"), filters=[clean], validators=[
        DataRequired(_l("Please give the listing a title.")), max_length(120)])
    property_type = RadioField(_l("Property type"), choices=options(choices.PROPERTY_TYPES),
                               validators=[DataRequired(_l("Please choose the property type."))])
    deal_type = RadioField(_l("Rent or sale"), choices=options(choices.DEAL_TYPES),
                           validators=[DataRequired(_l("Please choose rent or sale."))])
    region_code = RegionField(_l("Region"), validators=[Optional()])
    park = StringField(_l("Park"), filters=[clean], validators=[max_length(120)])
    # InputRequired, not DataRequired: "abc" must keep its own "enter a number" message.
    area = LooseDecimalField(_l("Area"), maximum=Decimal("100000000"), kind="area", validators=[
        InputRequired(_l("Please enter the area."))])
    area_unit = RadioField(_l("Unit"), choices=options(choices.AREA_UNITS), default="sqm")
    floors = LooseDecimalField(_l("Floors"), maximum=Decimal("200"), validators=[Optional()])
    # The units and bounds a need's requirements use too (crm.inputs.building).
    ceiling_height_m = MeasureField(MEASURES["ceiling_height_m"].label, measure="ceiling_height_m",
                                    validators=[Optional()])
    floor_load_t = MeasureField(MEASURES["floor_load_t"].label, measure="floor_load_t",
                                validators=[Optional()])
    power_kva = MeasureField(MEASURES["power_kva"].label, measure="power_kva",
                             validators=[Optional()])
    # 0: no crane (empty: not said).
    crane_t = MeasureField(MEASURES["crane_t"].label, measure="crane_t", allow_zero=True,
                           validators=[Optional()])
    # Yes, no or not said: only a "no" rules the listing out for a need that asks for it.
    standalone = RadioField(_l("Standalone compound (独门独院)"), choices=options(YES_NO),
                            coerce=yes_no_code, validators=[Optional()])
    eia_possible = BooleanField(_l("Environmental assessment (环评) possible"))
    divisible = BooleanField(_l("Divisible"))
    # No Optional(): an empty price is an error unless the price is negotiable.
    price = LooseDecimalField(_l("Price"), maximum=Decimal("10000000"))
    price_negotiable = BooleanField(_l("Price negotiable"))
    available_from = DayField(_l("Available from"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=options(choices.LISTING_STATUSES), default="available")
    description = TextAreaField(_l("Description"), filters=[clean_multiline],
                                validators=[max_length(2000)])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        settle_area_unit(self.area_unit, self.area)  # "30亩" in the field wins over the radio
        return valid

    def to_input(self) -> ListingInput:
        """The validated form as crm.listings.inventory.save() takes it."""
        def whole(value):
            return int(value) if value is not None else None

        return ListingInput(
            title=given(self.title.data), property_type=self.property_type.data,
            deal_type=self.deal_type.data, area=given(self.area.data),
            area_unit=self.area_unit.data or "sqm", region_code=self.region_code.data or None,
            park=self.park.data or "", floors=whole(self.floors.data),
            ceiling_height_m=self.ceiling_height_m.data, floor_load_t=self.floor_load_t.data,
            power_kva=whole(self.power_kva.data), crane_t=self.crane_t.data,
            standalone=yes_no_value(self.standalone.data), eia_possible=self.eia_possible.data,
            divisible=self.divisible.data, price=self.price.data,
            price_negotiable=self.price_negotiable.data,
            available_from=self.available_from.data, status=self.status.data,
            description=self.description.data or "")

    def validate_area(self, field):
        if field.data is not None and field.data <= 0:
            raise ValidationError(_l("Please enter a number of zero or more.") if field.data < 0
                                  else _l("Please enter the area."))

    def validate_floors(self, field):
        if field.data is not None and field.data != field.data.to_integral_value():
            raise ValidationError(_l("Please enter a whole number."))

    def validate_power_kva(self, field):
        self.validate_floors(field)

    def validate_price(self, field):
        if field.data is None and not self.price_negotiable.data:
            raise ValidationError(_l("Please enter a price, or tick negotiable."))
        if field.data is not None and self.deal_type.data == "rent" and field.data > 1000:
            # Rent is quoted per ㎡ per day; a four-figure figure is a monthly or total price.
            raise ValidationError(_l("Rent is in yuan per ㎡ per day; please check the figure."))


class PublicListingFilter(Form):
    """The public list's filters (GET; no CSRF: nothing changes)."""
    class Meta:
        csrf = False

    property_type = SelectField(_l("Property type"), choices=options(choices.PROPERTY_TYPES, blank=_l("(any)")),
                                default="", validate_choice=False)
    deal_type = SelectField(_l("Rent or buy"), choices=options(choices.DEAL_TYPES, blank=_l("(any)")),
                            default="", validate_choice=False)
    region = RegionField(_l("Region"), validators=[Optional()])
    area_min = LooseDecimalField(_l("Area from (㎡)"), maximum=Decimal("100000000"), kind="area",
                                 in_sqm=True, validators=[Optional()])
    area_max = LooseDecimalField(_l("Area to (㎡)"), maximum=Decimal("100000000"), kind="area",
                                 in_sqm=True, validators=[Optional()])


class PhotoUploadForm(Form):
    # image/* lets a phone offer its camera and its gallery; the content is checked anyway.
    photos = MultipleFileField(_l("Photos and floor plans"),
                               render_kw={"accept": "image/*", "multiple": True})


class CaptionForm(Form):
    caption = StringField(_l("Caption"), filters=[clean], validators=[max_length(200)])
