"""WTForms fields and validators that cope with how people type in China."""
from decimal import Decimal
from typing import TypeVar

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DecimalField, StringField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3; not in its stubs yet
from wtforms.validators import ValidationError
from wtforms.widgets import TextInput

from crm.choices import SQM_PER_MU
from crm.inputs import numbers
from crm.inputs.required import NothingReadIsMissing
from crm.inputs.text import clean_text

# Longer than any field may be: text is cut only here, as a guard, so that each field's
# max_length validator sees the real length and refuses (never silently cuts) too much.
_GUARD = 20000


def clean(value):
    return clean_text(value, max_length=_GUARD) if isinstance(value, str) else value


def clean_multiline(value):
    return clean_text(value, max_length=_GUARD, multiline=True) if isinstance(value, str) else value


class LooseDecimalField(NothingReadIsMissing, DecimalField):
    """A figure as people type it: full-width digits, thousands separators, Chinese numerals
    (三千, 1.5万) and a unit written in the field (crm.inputs.numbers).

    kind "area": a unit written (30亩, 3000平) is kept in `typed_unit` and wins over the form's
    unit radio; with `in_sqm` a figure in 亩 is turned into ㎡ (fields that are in ㎡ only).
    With `ranges`, "3000-5000平" is read as a range: `data` the low end, `range_high` the
    high end, which settle_area_unit hands to the "to" field (every channel reads it so).
    kind "money": the value in 万元 to the 元 whatever was written (5000000元 → 500,
    1.2亿 → 12000, 50元 → 0.005).
    """

    # A text box, not type=number: browsers would refuse "1,200" or "30亩" before we see it.
    widget = TextInput()

    def __init__(self, *args, maximum: Decimal, kind: str = "plain", in_sqm: bool = False,
                 ranges: bool = False, **kwargs):
        self.maximum, self.kind, self.in_sqm, self.ranges = maximum, kind, in_sqm, ranges
        self.typed_unit: str | None = None
        self.range_high: Decimal | None = None
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.range_high = None
        try:
            value, high, unit = numbers.parse_range(valuelist[0], self.kind)
            if value != high and not self.ranges:
                raise numbers.NumberError("range")
        except numbers.NumberError as exc:
            self.data = None
            raise ValueError(_number_message(str(exc))) from None
        if value is None or high is None:
            self.data = None
            return
        if self.in_sqm and unit == "mu":
            value, high, unit = (value * Decimal(str(SQM_PER_MU)),
                                 high * Decimal(str(SQM_PER_MU)), "sqm")
        self.typed_unit = unit
        if high > self.maximum:
            self.data = None
            raise ValueError(_l("This figure is too large; please check it."))
        places = numbers.MONEY_PLACES if self.kind == "money" else numbers.AREA_PLACES
        self.data = value.quantize(places)
        if high != value:   # "3000-5000平" in one box: the form takes the upper end from it
            self.range_high = high.quantize(places)


def _number_message(reason: str):
    if reason == "too long":
        return _l("Please keep this under %(n)d characters.", n=numbers.MAX_CHARS)
    if reason == "negative":
        return _l("Please enter a number of zero or more.")
    if reason == "ambiguous":
        return _l("This could be read several ways (e.g. 1,2,3): please write one figure, "
                  "e.g. 1200, or a range, e.g. 3000-5000.")
    if reason == "range":
        return _l("Please give one figure here, not a range.")
    return _l("Please enter a number, e.g. 5000.")


def settle_area_unit(unit_field, *area_fields, land: bool = False) -> None:
    """A unit written in an area field wins over the unit radio; where two areas name
    different units, the second is converted to the first's. With nothing written and the
    radio not sent, land is measured in 亩."""
    low, high = area_fields[0], area_fields[-1]
    if low.range_high is not None and high.data is None and not high.errors:
        high.data, high.typed_unit = low.range_high, low.typed_unit
    elif high.range_high is not None and low.data is None and not low.errors:
        low.data, low.typed_unit = high.data, high.typed_unit
        high.data = high.range_high
    typed = [f for f in area_fields if f.data is not None and f.typed_unit]
    if typed:
        unit = typed[0].typed_unit
        for field in area_fields:
            if field.data is not None and field.typed_unit and field.typed_unit != unit:
                factor = Decimal(str(SQM_PER_MU))
                field.data = (field.data * factor if field.typed_unit == "mu"
                              else field.data / factor).quantize(Decimal("0.01"))
        # A bare figure beside a written unit ("3000-5000平") is in that unit too.
        unit_field.data = unit
    elif land and not unit_field.raw_data:
        unit_field.data = "mu"


# What a ticked box or a client may send for "yes" (a checkbox sends "y"). Anything else
# ("false", "0", "off", "no", junk) is no, never a yes.
_YES = frozenset({"y", "yes", "on", "true", "1"})


def means_yes(value) -> bool:
    return isinstance(value, str) and value.strip().lower() in _YES


class ConsentField(BooleanField):
    """The privacy notice's box: the one rule of consent for every channel (form, embed,
    API, agent entry). Only an explicit yes counts; a missing box or any other value is
    refused with `message` next to the box, so no lead is stored or routed without it."""

    def __init__(self, label=None, *, message, **kwargs):
        super().__init__(label, **kwargs)
        self.message = message

    def process_formdata(self, valuelist):
        self.data = bool(valuelist) and means_yes(valuelist[0])

    def pre_validate(self, form):
        if self.data is not True:
            raise ValidationError(self.message)


def max_length(limit: int):
    def _check(form, field):
        if field.data and len(field.data) > limit:
            raise ValidationError(_l("Please keep this under %(n)d characters.", n=limit))
    return _check


T = TypeVar("T")


def given(data: T | None) -> T:
    """A validated field's data: its validators (DataRequired, InputRequired, NumberRange)
    refuse None, which the field's declared type cannot say."""
    if data is None:
        raise ValueError("a required field has no data: validate the form first")
    return data


def options(pairs, blank=None) -> list[SelectChoice]:
    """Choices for a select or radio field from a {code: label} mapping or (code, label) pairs."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    head = [SelectChoice("", blank)] if blank is not None else []
    return head + [SelectChoice(code, label) for code, label in items]


class RegionField(StringField):
    """A place of crm.regions: a text box that takes a code, an old dotted code, the path the
    picker shows ("浙江 / 湖州 / 长兴县") or words that name a place ("昆山", "湖州市长兴县",
    crm.regions.reader); static/js/region-picker.js makes it a combobox over every place.
    `data` is the code, `words` what was typed beside it that names no known place.

    A filter (`keep_unread=False`) refuses words it cannot read, with the reason next to
    them: a place half read would widen the query. An inquiry (`keep_unread=True`) never
    refuses a place: the form keeps the words and the agent confirms the place."""

    def __init__(self, label=None, validators=None, keep_unread: bool = False, **kwargs):
        render_kw = {"autocomplete": "off", "data-region-picker": "", "maxlength": 120,
                     "placeholder": _l("Type a place: 昆山, 嘉兴, ks …"),
                     "data-found": _l("{n} places found"), "data-none": _l("No place found"),
                     "data-suggestions": _l("suggestions"),
                     **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.keep_unread = keep_unread
        self.typed = ""
        self.words = ""

    def __call__(self, **kwargs):
        # The page loads static/js/region-picker.js (at the end of base.html) only when a
        # region field was drawn on it: most prospect pages have none.
        from flask import g, has_app_context
        if has_app_context():
            g.region_picker = True
        return super().__call__(**kwargs)

    def process_formdata(self, valuelist):
        from crm.regions.reader import read_field
        self.typed = clean(valuelist[0]) if valuelist and valuelist[0] else ""
        reading = read_field(self.typed)
        self.data, self.words = reading.code, reading.words
        if self.words and not self.keep_unread:
            self.data = None

    def _value(self):
        from crm import regions
        from crm.i18n import ui_language
        if self.typed and (not self.data or self.words):
            return self.typed
        return regions.full_name(self.data, ui_language()) or (self.data or "")

    def pre_validate(self, form):
        from crm import regions
        if self.typed and not self.data and not self.keep_unread:
            from crm.regions.search import search
            hits = search(self.typed, limit=4)
            if len(hits) > 1:
                raise ValidationError(_l(
                    "“%(typed)s” could be several places: please pick one from the suggestions"
                    " or type the city too (e.g. %(example)s).", typed=self.typed[:40],
                    example=regions.full_name(hits[0].code)))
            raise ValidationError(_l("No place called “%(typed)s”: type a city or county name"
                                     " (e.g. 昆山) and pick it from the suggestions.",
                                     typed=self.typed[:40]))
        if self.data and not regions.is_valid(self.data):
            raise ValidationError(_l("Please pick a region from the list."))


# The largest id a database integer column holds (PostgreSQL integer, what SQLite takes too).
MAX_DB_ID = 2**31 - 1


def database_id(text) -> int | None:
    """A positive id from a URL or form value that fits the database; else None (a bigger
    number would overflow in the query instead of simply matching nothing)."""
    text = str(text or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        return None
    value = int(text)
    return value if 0 < value <= MAX_DB_ID else None
