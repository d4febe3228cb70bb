"""The building's attributes a listing has and a need asks for (层高, 行车, 配电, 承重 ...).

One table for both sides: a Listing column states what the building has, the Lead column of
the same name the least the prospect needs. A figure is read with the unit written in it
(8米, 800cm, 10T, 2MVA, 3000kg/㎡) and turned into the stored unit; a unit we do not convert
(kW is not kVA, kN/㎡ is not t/㎡) or a figure that could be in two units (power "5": kVA or
MVA?) is refused with a message, never stored in the wrong unit.
"""
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l

from crm.inputs import numbers
from crm.inputs.fields import LooseDecimalField
from crm.inputs.text import clean_text, to_halfwidth


@dataclass(frozen=True)
class Measure:
    name: str                 # the column on Listing and on Lead
    label: object             # what a listing has (the lead page and forms say "at least")
    need_label: object
    unit: str                 # the stored unit, as shown
    units: tuple[tuple[str, Decimal], ...]    # written unit (lower case) → factor to `unit`
    foreign: tuple[str, ...]  # units we refuse rather than convert
    foreign_message: object
    maximum: Decimal
    whole: bool = False
    # A bare figure below this could be in a larger unit (kVA or MVA): the unit must be written.
    bare_below: Decimal | None = None
    noun: object = ""         # the attribute in a sentence: "Clear height 6 m, needs 8 m"


_HEIGHT_UNITS = (("厘米", Decimal("0.01")), ("cm", Decimal("0.01")), ("公尺", Decimal(1)),
                 ("米", Decimal(1)), ("m", Decimal(1)))
_TONNE_UNITS = (("吨", Decimal(1)), ("t", Decimal(1)))
_LOAD_UNITS = tuple((f"{w}/{a}", f) for w, f in (("吨", Decimal(1)), ("t", Decimal(1)),
                                                 ("公斤", Decimal("0.001")), ("kg", Decimal("0.001")))
                    for a in ("平方米", "平米", "平", "㎡", "m²", "m2")) + (
    ("吨", Decimal(1)), ("t", Decimal(1)), ("公斤", Decimal("0.001")), ("kg", Decimal("0.001")))
_POWER_UNITS = (("千伏安", Decimal(1)), ("kva", Decimal(1)), ("kv·a", Decimal(1)),
                ("兆伏安", Decimal(1000)), ("mva", Decimal(1000)))

MEASURES: dict[str, Measure] = {m.name: m for m in (
    Measure("ceiling_height_m", _l("Ceiling height (m)"), _l("Clear height at least (m)"), "m",
            _HEIGHT_UNITS, (), "", Decimal(30), noun=_l("Clear height")),
    Measure("crane_t", _l("Crane (t)"), _l("Crane of at least (t)"), "t", _TONNE_UNITS, (), "",
            Decimal(500), noun=_l("Crane")),
    Measure("power_kva", _l("Power (kVA)"), _l("Power at least (kVA)"), "kVA", _POWER_UNITS,
            ("kw", "千瓦", "kwh", "度", "w", "瓦"),
            _l("Please give the transformer capacity in kVA (e.g. 630kVA or 2MVA): kW is "
               "not the same."),
            Decimal(200000), whole=True, bare_below=Decimal(10), noun=_l("Power")),
    Measure("floor_load_t", _l("Floor load (t/㎡)"), _l("Floor load at least (t/㎡)"), "t/㎡",
            _LOAD_UNITS, ("kn/㎡", "kn/m2", "kn/m²", "kn", "千牛", "kpa"),
            _l("Please give the floor load in t/㎡ (e.g. 3吨 or 3000kg/㎡)."), Decimal(20),
            noun=_l("Floor load")),
)}

# Words around a figure that do not change it ("8米以上" is at least 8 m for a need).
_QUALIFIERS = re.compile(r"及以上|以上|左右|上下|起|至少|不低于|不少于|不小于|大于|≥|>=|>|\+|约|大概|净高|"
                         r"层高|行车|配电|承重|容量|变压器")


class MeasureError(ValueError):
    """A figure that cannot be stored: `message` says why, in the user's language."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _split(text: str, measure: Measure) -> tuple[str, Decimal | None, bool]:
    """(figure, factor of the unit written or None, a refused unit was written)."""
    lowered = text.lower()
    for word in measure.foreign:
        if lowered.endswith(word):
            return text, None, True
    for word, factor in sorted(measure.units, key=lambda u: -len(u[0])):
        if lowered.endswith(word):
            return text[:len(text) - len(word)], factor, False
    return text, None, False


def read(raw, name: str, allow_zero: bool = False) -> Decimal | None:
    """The figure in `name`'s stored unit, None for nothing; MeasureError when it cannot be
    stored as meant. `allow_zero`: a listing's 0 says "none" (no crane)."""
    measure = MEASURES[name]
    text = clean_text(raw or "", max_length=numbers.MAX_CHARS * 10) if isinstance(raw, str) else ""
    text = _QUALIFIERS.sub("", to_halfwidth(text))
    text = text.replace(" ", "").replace("：", "").replace(":", "")
    if not text:
        return None
    figure, factor, foreign = _split(text, measure)
    if foreign:
        raise MeasureError(measure.foreign_message)
    try:
        # "area" reads 1万 as 10,000 and answers an area unit written ("8平"), which is not ours.
        value, area_unit = numbers.parse(figure, "area")
    except numbers.NumberError as exc:
        if str(exc) == "too long":
            raise MeasureError(_l("Please keep this under %(n)d characters.",
                                  n=numbers.MAX_CHARS)) from None
        if str(exc) == "negative":
            raise MeasureError(_l("Please enter a number greater than zero.")) from None
        raise MeasureError(_l("Please enter a number, e.g. %(example)s.",
                              example=_EXAMPLES[name])) from None
    if value is None or area_unit is not None:
        raise MeasureError(_l("Please enter a number, e.g. %(example)s.", example=_EXAMPLES[name]))
    if factor is None and measure.bare_below is not None and value < measure.bare_below:
        raise MeasureError(_l("Please write the unit: %(example)s.", example=_EXAMPLES[name]))
    value = (value * (factor if factor is not None else Decimal(1))).quantize(
        Decimal(1) if measure.whole else Decimal("0.01"), rounding=ROUND_HALF_UP)
    if value < 0 or (value == 0 and not allow_zero):
        raise MeasureError(_l("Please enter a number greater than zero."))
    if value > measure.maximum:
        raise MeasureError(_l("This figure is too large for %(unit)s; please check it.",
                              unit=measure.unit))
    return value


_EXAMPLES = {"ceiling_height_m": "8米", "crane_t": "10吨", "power_kva": "630kVA / 2MVA",
             "floor_load_t": "3吨/㎡"}


class MeasureField(LooseDecimalField):
    """A text box for one of MEASURES: the figure with its unit, or empty."""

    def __init__(self, label=None, validators=None, *, measure: str, allow_zero: bool = False,
                 **kwargs):
        self.measure, self.allow_zero = MEASURES[measure], allow_zero
        label = self.measure.need_label if label is None else label
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off",
                                        "placeholder": _EXAMPLES[measure]})
        super().__init__(label, validators, maximum=self.measure.maximum, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = read(valuelist[0], self.measure.name, self.allow_zero)
        except MeasureError as exc:
            self.data = None
            raise ValueError(exc.message) from None


def describe(name: str, value) -> str:
    """A stored figure with its unit, as the pages show it: 8 m, 10 t, 630 kVA, 3 t/㎡."""
    if value is None:
        return ""
    text = format(Decimal(value).normalize(), "f")
    return f"{text} {MEASURES[name].unit}"



# --- the need's requirements: the lead's columns, from and back to the inquiry form ------
YES_NO = {"yes": _l("Yes"), "no": _l("No")}
STOREY_LABEL = _l("Storeys")
STOREYS = {"single": _l("Single storey only"), "any": _l("Floors are fine too")}
FLAGS = {"needs_crane": _l("Needs a crane (行车)"),
         "standalone": _l("Standalone compound (独门独院)"),
         "divisible": _l("Divisible (可分割)")}
# The Lead columns, in the order the pages show them.
REQUIREMENTS = ("ceiling_height_m", "single_storey", "needs_crane", "crane_t", "power_kva",
                "floor_load_t", "standalone", "divisible")


def requirements_from_form(form) -> dict:
    """The lead's requirement columns from a validated inquiry form. A flag is True or None
    (not said): an unticked box is no requirement, not a refusal of the feature."""
    crane = form.crane_t.data
    power = form.power_kva.data
    return {
        "ceiling_height_m": form.ceiling_height_m.data,
        "single_storey": {"single": True, "any": False}.get(form.single_storey.data),
        # A tonnage given is a crane needed, ticked or not.
        "needs_crane": True if form.needs_crane.data or crane is not None else None,
        "crane_t": crane,
        "power_kva": int(power) if power is not None else None,
        "floor_load_t": form.floor_load_t.data,
        "standalone": True if form.standalone.data else None,
        "divisible": True if form.divisible.data else None,
    }


def requirements_form_data(lead) -> dict:
    """The inquiry form's data from a stored lead (the edit form)."""
    return {
        **{name: getattr(lead, name) for name in MEASURES},
        "single_storey": {True: "single", False: "any"}.get(lead.single_storey, ""),
        **{name: bool(getattr(lead, name)) for name in FLAGS},
    }


def stated(lead) -> list[str]:
    """What the prospect asked of the building, one phrase each, for the lead page."""
    out = []
    if lead.ceiling_height_m is not None:
        out.append(f"{MEASURES['ceiling_height_m'].need_label}: "
                   f"{describe('ceiling_height_m', lead.ceiling_height_m)}")
    if lead.single_storey is not None:
        out.append(str(STOREYS["single" if lead.single_storey else "any"]))
    if lead.needs_crane:
        out.append(f"{MEASURES['crane_t'].need_label}: {describe('crane_t', lead.crane_t)}"
                   if lead.crane_t is not None else str(FLAGS["needs_crane"]))
    for name in ("power_kva", "floor_load_t"):
        if getattr(lead, name) is not None:
            out.append(f"{MEASURES[name].need_label}: {describe(name, getattr(lead, name))}")
    out.extend(str(FLAGS[name]) for name in ("standalone", "divisible") if getattr(lead, name))
    return out


def yes_no_code(value) -> str:
    """A stored yes / no / not said (True, False, None) as a YES_NO radio's code, and a code
    sent back as itself."""
    if value is None or isinstance(value, bool):
        return "" if value is None else "yes" if value else "no"
    return str(value)


def yes_no_value(code) -> bool | None:
    return {"yes": True, "no": False}.get(code)
