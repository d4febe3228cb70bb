"""The won form (a need's deal) and the "contract fell through" form."""
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import FieldList, FormField, SelectField, StringField, TextAreaField
from wtforms import Form as PlainForm
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from crm import choices
from crm.formatting import today_local
from crm.inputs import deal_terms, numbers
from crm.inputs.dates import DayField
from crm.inputs.deal import DealInput, ShareInput
from crm.inputs.fields import LooseDecimalField, clean, clean_multiline, given, max_length, options
from crm.inputs.forms import Form

NOT_IN_INVENTORY = 0
AFTER_SIGNING = tuple(k for k in deal_terms.MILESTONES if k != "signed")
_BIG = Decimal("100000000")
PRICE_PLACES = Decimal("0.0001")


class _Figure(LooseDecimalField):
    """Shown back as typed or as stored, without trailing zeros (0.8, not 0.80)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("places", None)
        super().__init__(*args, **kwargs)

    def _value(self):
        if not self.raw_data and isinstance(self.data, Decimal):
            return format(self.data.normalize(), "f")
        return super()._value()  # type: ignore[misc]  # DecimalField's, not in its stubs


class _Price(_Figure):
    """A price to 0.0001 (a day rent of 0.8125 元/㎡/天), where figures keep two places."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None:
            value = numbers.parse(valuelist[0])[0]
            self.data = value.quantize(PRICE_PLACES) if value is not None else None


def _whole(form, field):
    if field.data is not None and field.data != field.data.to_integral_value():
        raise ValidationError(_l("Please enter a whole number."))


def _money(label):
    return _Figure(label, kind="money", maximum=_BIG, validators=[Optional()])


class ShareForm(PlainForm):
    """One person's share of the commission (a row of the won form)."""
    user_id = SelectField(_l("Shared with"), coerce=int, default=0, validate_choice=True)
    pct = _Figure(_l("Share (%)"), maximum=Decimal(100), validators=[Optional()])


class DealForm(Form):
    listing_id = SelectField(_l("Listing"), coerce=int, default=NOT_IN_INVENTORY,
                             validate_choice=True)
    property_text = StringField(_l("Property (not in our inventory)"), filters=[clean],
                                validators=[max_length(200)])
    signed_on = DayField(_l("Signed on"), default=today_local,
                         validators=[InputRequired(_l("Please give the day it was signed."))])
    area = _Figure(_l("Area"), kind="area", maximum=_BIG, validators=[Optional()])
    area_unit = SelectField(_l("Unit"), choices=options(choices.AREA_UNITS), default="sqm")
    price = _Price(_l("Price"), maximum=Decimal("1000000000"),
                              validators=[InputRequired(_l("Please give the price."))])
    price_unit = SelectField(_l("Price unit"), validate_choice=True)
    term_months = _Figure(_l("Term (months)"), maximum=Decimal(1200),
                                    validators=[Optional(), _whole])
    start_on = DayField(_l("Lease starts on"), validators=[Optional()])
    rent_free_months = _Figure(_l("Rent-free months (免租期)"), maximum=Decimal(1200),
                                         validators=[Optional()])
    deposit_wan = _money(_l("Deposit (押金, 万元)"))
    commission_kind = SelectField(_l("Commission (佣金)"), default="", choices=options(
        deal_terms.COMMISSION_KINDS, blank=_l("(none)")), validate_choice=True)
    commission_rate = _Figure(_l("Commission: 万元, percent or months"),
                                        maximum=Decimal("10000000"), validators=[Optional()])
    commission_due_on = DayField(_l("Commission due on"), validators=[Optional()])
    commission_received_wan = _money(_l("Collected (回款, 万元)"))
    commission_received_on = DayField(_l("Collected on"), validators=[Optional()])
    shares = FieldList(FormField(ShareForm), min_entries=3, max_entries=3)
    investment_wan = _money(_l("Committed investment (万元)"))
    annual_tax_wan = _money(_l("Annual tax (万元)"))
    jobs = _Figure(_l("Jobs"), maximum=Decimal(10000000),
                             validators=[Optional(), _whole])
    due_land_or_move_in = DayField(deal_terms.MILESTONES["land_or_move_in"], validators=[Optional()])
    due_construction = DayField(deal_terms.MILESTONES["construction"], validators=[Optional()])
    due_production = DayField(deal_terms.MILESTONES["production"], validators=[Optional()])
    due_full_production = DayField(deal_terms.MILESTONES["full_production"], validators=[Optional()])
    note = TextAreaField(_l("Note"), filters=[clean_multiline], render_kw={"rows": 2},
                         validators=[max_length(2000)])

    def __init__(self, listings=(), deal_type: str | None = None, people=(), *args, **kwargs):
        """`listings`: the ones the need may have taken (its linked and visited listings);
        `deal_type`: the need's (its units only); `people`: who may share the commission."""
        super().__init__(*args, **kwargs)
        self.listing_id.choices = options(
            [(NOT_IN_INVENTORY, _l("Not in our inventory"))]
            + [(x.id, f"#{x.id} {x.title}") for x in listings])
        units = deal_terms.units_for(deal_type) if deal_type else tuple(deal_terms.PRICE_UNITS)
        self.price_unit.choices = options((u, deal_terms.PRICE_UNITS[u]) for u in units)
        for entry in self.shares:
            entry.form.user_id.choices = options([(0, "—")] + [(u.id, u.name) for u in people])

    def validate_property_text(self, field):
        if not self.listing_id.data and not field.data:
            raise ValidationError(_l("Please pick the listing, or describe the property."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for entry in self.shares:
            pct = entry.form.pct
            if bool(entry.form.user_id.data) != (pct.data is not None) and not pct.errors:
                pct.errors = [*pct.errors, _l("Please give both the person and the share.")]
                valid = False
        return valid

    def validate_commission_rate(self, field):
        if bool(self.commission_kind.data) != (field.data is not None):
            raise ValidationError(_l("Please give both the kind of commission and its figure."))

    def to_input(self) -> DealInput:
        """The validated form as crm.leads.deals.sign() / edit() take it."""
        def whole(value):
            return int(value) if value is not None else None

        return DealInput(
            signed_on=given(self.signed_on.data), price=given(self.price.data),
            price_unit=self.price_unit.data, listing_id=self.listing_id.data or None,
            property_text=self.property_text.data or "",
            area=self.area.data, area_unit=self.area.typed_unit or self.area_unit.data or "sqm",
            term_months=whole(self.term_months.data), start_on=self.start_on.data,
            rent_free_months=self.rent_free_months.data, deposit_wan=self.deposit_wan.data,
            commission_kind=self.commission_kind.data or "",
            commission_rate=self.commission_rate.data,
            commission_due_on=self.commission_due_on.data,
            commission_received_wan=self.commission_received_wan.data,
            commission_received_on=self.commission_received_on.data,
            shares=tuple(ShareInput(e.form.user_id.data, e.form.pct.data) for e in self.shares
                         if e.form.user_id.data and e.form.pct.data is not None),
            investment_wan=self.investment_wan.data, annual_tax_wan=self.annual_tax_wan.data,
            jobs=whole(self.jobs.data),
            milestones_due={k: getattr(self, f"due_{k}").data for k in AFTER_SIGNING},
            note=self.note.data or "")

    def error_on(self, name: str, message) -> None:
        """A refusal of the service (crm.leads.deals.DealError) next to its field."""
        target = self.shares[0].form.pct if name == "shares" else self._fields.get(name, self.price)
        target.errors = [*target.errors, message]


def deal_form_data(deal) -> dict:
    """Form data for the edit form from a stored deal, as typed."""
    shares = [{"user_id": s.user_id, "pct": s.share_pct} for s in deal.shares]
    due = {m.kind: m.due_on for m in deal.milestones}
    return {
        "listing_id": deal.listing_id or NOT_IN_INVENTORY, "property_text": deal.property_text,
        "signed_on": deal.signed_on, "area": deal.area_value, "area_unit": deal.area_unit,
        "price": deal.price.normalize() if deal.price is not None else None,
        "price_unit": deal.price_unit, "term_months": deal.term_months,
        "start_on": deal.start_on, "rent_free_months": deal.rent_free_months,
        "deposit_wan": deal.deposit_wan, "commission_kind": deal.commission_kind or "",
        "commission_rate": deal.commission_rate,
        "commission_due_on": deal.commission_due_on,
        "commission_received_wan": deal.commission_received_wan,
        "commission_received_on": deal.commission_received_on,
        "shares": shares + [{"user_id": 0, "pct": None}] * (3 - len(shares)),
        "investment_wan": deal.investment_wan, "annual_tax_wan": deal.annual_tax_wan,
        "jobs": deal.jobs, "note": deal.note,
        **{f"due_{k}": due.get(k) for k in AFTER_SIGNING}}


class FallThroughForm(Form):
    reason = StringField(_l("Why did the contract fall through?"), filters=[clean], validators=[
        DataRequired(_l("Please give the reason.")), max_length(200)])


def revision_labels() -> dict:
    """What a revision's field names are called on the page (the form's labels)."""
    labels = {name: field.args[0] for name, field in vars(DealForm).items()
              if isinstance(field, UnboundField) and field.args
              and not isinstance(field.args[0], UnboundField)}  # shares: a list of rows
    return {**labels, "area_value": labels["area"], "area_sqm": _l("Area (㎡)"),
            "value_wan": _l("Contract value"), "commission_wan": _l("Commission"),
            "tax_per_mu_wan": _l("Tax per 亩"), "shares": _l("Shared with"),
            "milestones": _l("Milestones")}

