"""WTForms fields and validators that cope with how people type in China."""
import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import TextInput

from crm.inputs.text import clean_text, to_halfwidth

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
# Units people add after a figure; the unit itself comes from its own field.
_TRAILING_UNITS = re.compile(r"(万元|万|元|平方米|平米|平|㎡|m2|亩)$", re.IGNORECASE)


# Longer than any field may be: text is cut only here, as a guard, so that each field's
# max_length validator sees the real length and refuses (never silently cuts) too much.
_GUARD = 20000
NUMBER_MAX_CHARS = 40


def clean(value):
    return clean_text(value, max_length=_GUARD) if isinstance(value, str) else value


def clean_multiline(value):
    return clean_text(value, max_length=_GUARD, multiline=True) if isinstance(value, str) else value


class LooseDecimalField(DecimalField):
    """A number that accepts full-width digits, thousands separators and a trailing unit."""

    # A text box, not type=number: browsers would refuse "1,200" or "30亩" before we see it.
    widget = TextInput()

    def __init__(self, *args, maximum: Decimal, **kwargs):
        self.maximum = maximum
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = clean_text(valuelist[0], max_length=_GUARD)
        if len(text) > NUMBER_MAX_CHARS:  # refused, not cut: "1,,,…,0000" is not 10
            self.data = None
            raise ValueError(_l("Please keep this under %(n)d characters.", n=NUMBER_MAX_CHARS))
        text = to_halfwidth(text).replace(",", "").replace(" ", "")
        text = _TRAILING_UNITS.sub("", text)
        if not text:
            self.data = None
            return
        if not _NUMBER.match(text):
            self.data = None
            raise ValueError(_l("Please enter a number, e.g. 5000."))
        try:
            value = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(_l("Please enter a number, e.g. 5000.")) from exc
        if value < 0:
            raise ValueError(_l("Please enter a number of zero or more."))
        if value > self.maximum:
            raise ValueError(_l("This figure is too large; please check it."))
        self.data = value.quantize(Decimal("0.01"))


def max_length(limit: int):
    def _check(form, field):
        if field.data and len(field.data) > limit:
            raise ValidationError(_l("Please keep this under %(n)d characters.", n=limit))
    return _check


def options(pairs, blank=None) -> list[SelectChoice]:
    """Choices for a select or radio field from a {code: label} mapping or (code, label) pairs."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    head = [SelectChoice("", blank)] if blank is not None else []
    return head + [SelectChoice(code, label) for code, label in items]


class RegionField(SelectField):
    """A region of crm.regions (hierarchical codes), its options in the UI language; a code
    not in the list is refused next to the field."""

    def __init__(self, label=None, validators=None, **kwargs):
        from crm import regions
        from crm.i18n import ui_language
        super().__init__(label, validators, validate_choice=False,
                         choices=lambda: options(regions.choices(ui_language()), blank="—"),
                         **kwargs)

    def pre_validate(self, form):
        from crm import regions
        if self.data and self.data not in regions.REGIONS:
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
