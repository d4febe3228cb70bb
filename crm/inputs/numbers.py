"""Figures as people say and type them in China, for every channel (form, API, agent entry,
importer, message reader): 3000, 1,200, ３０００, 三千, 2千, 1.5万, 三千五, 3万5 (35,000),
一万二 (12,000), 2亿5千万, 1亿5 (1.5亿), ranges with a shared unit (3-5千平, 三四十亩), 方 as
㎡, and spoken mobile numbers (一八六九…). A figure that cannot be read is an error, never
a guess: 万 alone, 1,2,3 (a list or a typo, not 123).

Chinese numerals go through cn2an (bench/numbers_bench.py measured it, the old hand parser
and jionlp on the issue's cases); the shorthands cn2an lacks (1亿5, 两亿五, a shared unit in
a range) are rewritten into forms it reads before it is asked.

Area answers the value and the unit that was written (which wins over the form's unit
radio); money answers 万元, the unit every money field of the CRM is in, to the 元.
"""
import re
import warnings
from decimal import Decimal, InvalidOperation

import cn2an

from crm.inputs.text import clean_text, to_halfwidth

MAX_CHARS = 40

_CN = "零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟"
_DIGIT = "零〇一二两三四五六七八九"
_NUMBER_TEXT = re.compile(rf"^[\d.{_CN}]+$")
# Longest first: 平方米 before 平, 万元 before 万.
_AREA_UNITS = (("平方米", "sqm"), ("平方", "sqm"), ("平米", "sqm"), ("平", "sqm"), ("㎡", "sqm"),
               ("m²", "sqm"), ("m2", "sqm"), ("sqm", "sqm"), ("方", "sqm"), ("亩", "mu"))
_MONEY_UNITS = (("亿元", Decimal(10000)), ("亿", Decimal(10000)), ("万元", Decimal(1)),
                ("万", Decimal(1)), ("元", Decimal("0.0001")), ("块", Decimal("0.0001")))
_RANGE_SPLIT = re.compile(r"(?<=.)(?:-|—|–|~|～|到|至)(?=[\d" + _CN + "])")
_YUAN = (("元", True), ("块", True))
_MAGNITUDE = re.compile(r"[十百千万亿]+$")
# 三四十 / 三四千 / 七八万: two neighbouring digits before a unit are a range.
_APPROX = re.compile(r"^([一二两三四五六七八九])([二三四五六七八九])([十百千万]+)$")
# Money keeps 元 (万元 to four places); areas are kept to the cent of a ㎡.
MONEY_PLACES = Decimal("0.0001")
AREA_PLACES = Decimal("0.01")
# Spoken digits of a phone number: 幺 is how 1 is said on the phone.
_SPOKEN = {"零": "0", "〇": "0", "洞": "0", "幺": "1", "一": "1", "二": "2", "两": "2", "三": "3",
           "四": "4", "五": "5", "六": "6", "七": "7", "拐": "7", "八": "8", "九": "9", "勾": "9"}
SPOKEN_DIGITS = "".join(_SPOKEN)


class NumberError(ValueError):
    """A figure that cannot be read; the field shows its own message. str(): the reason
    ("too long", "negative", "ambiguous", "range" or the text)."""


def figure(text: str) -> Decimal:
    """One figure without a unit word: 3000, 1,200, 1.5万, 三千五, 3万5, 一万二, 2亿5千万."""
    text = to_halfwidth(text).strip()
    if "," in text:
        # Thousands separators only where every group after the first has three digits.
        if not re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?(?:[十百千万亿]+)?", text):
            raise NumberError("ambiguous")
        text = text.replace(",", "")
    if not text or not _NUMBER_TEXT.match(text) or not re.match(rf"[\d{_DIGIT}十壹贰叁肆伍陆柒捌玖拾]",
                                                              text):
        raise NumberError(text)   # 万 or 百 alone is no figure
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return Decimal(text)
    scaled = re.fullmatch(r"(\d+(?:\.\d+)?)([十百千万亿]+)", text)
    if scaled:   # 1.5万, 5千万: exact, where cn2an goes through a float
        value = Decimal(scaled.group(1))
        for ch in scaled.group(2):
            value *= _POWERS[ch]
        return value
    if re.fullmatch(rf"[{_DIGIT}]{{2,}}", text):
        raise NumberError("ambiguous")   # 一二 / 三五: digits said one by one, not a figure
    # 1亿5 / 两亿五 is 1.5亿 (cn2an reads 1万5 but not this): one digit after the last unit.
    short = re.fullmatch(rf"(\d+|[{_DIGIT}])亿([1-9]|[一二两三四五六七八九])", text)
    if short:
        return (figure(short.group(1)) + figure(short.group(2)) / 10) * 10**8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            value = cn2an.cn2an(text, "smart")
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise NumberError(text) from exc
    try:
        return Decimal(str(value)).normalize() if value == int(value) else Decimal(str(value))
    except (InvalidOperation, OverflowError, ValueError) as exc:
        raise NumberError(text) from exc


def _split_unit(text: str, units) -> tuple[str, str | None]:
    lowered = text.lower()
    for word, unit in units:
        if lowered.endswith(word):
            return text[: len(text) - len(word)], unit
    return text, None


def _prepare(raw) -> str:
    text = clean_text(raw, max_length=MAX_CHARS * 10)
    if len(text) > MAX_CHARS:
        raise NumberError("too long")
    text = to_halfwidth(text).replace("，", ",").replace(" ", "")
    for word in ("左右", "以上", "以下", "上下", "大概", "大约", "约"):
        text = text.replace(word, "")
    return text


_POWERS = {"十": 10, "百": 100, "千": 1000, "万": 10**4, "亿": 10**8}


def _one(text: str, kind: str) -> tuple[Decimal, str | None]:
    """A figure with its unit word: (value, area unit). Money comes back in 万元: a bare
    figure is 万元 (the field's unit), one that says 元, 万 or 亿 is converted (3万5 is 3.5)."""
    unit = None
    if text.startswith("-"):
        raise NumberError("negative")
    if kind == "money":
        bare, yuan = _split_unit(text, _YUAN)
        value = figure(bare)
        return (value / 10**4 if yuan or re.search("[万亿]", bare) else value), None
    if kind == "area":
        text, unit = _split_unit(text, _AREA_UNITS)
    else:
        for units in (_AREA_UNITS, _MONEY_UNITS):
            text, _ignored = _split_unit(text, units)
    return figure(text), unit


def parse_range(raw, kind: str = "plain") -> tuple[Decimal | None, Decimal | None, str | None]:
    """(low, high, unit) from one field: "3000-5000平", "3-5千平" (the unit and magnitude
    written once belong to both), "三四十亩", "30亩"; high is low for a single figure.
    Money in 万元 (元 and 亿 converted); area unit "sqm" / "mu" when one was written."""
    text = _prepare(raw)
    if not text:
        return None, None, None
    units = {"area": _AREA_UNITS, "money": _YUAN}.get(kind, _AREA_UNITS + _MONEY_UNITS)
    parts = _RANGE_SPLIT.split(text)
    approx = _APPROX.match(_split_unit(text, units)[0])
    if approx and len(parts) == 1 and figure(approx.group(2)) == figure(approx.group(1)) + 1:
        rest = text[approx.end(2):]
        parts = [approx.group(1) + rest, approx.group(2) + rest]
    if len(parts) > 2:
        raise NumberError("ambiguous")
    if len(parts) == 1:
        value, unit = _one(parts[0], kind)
        return _tidy(value), _tidy(value), unit
    low_text, high_text = parts
    high, high_unit = _one(high_text, kind)
    low, low_unit = _one(low_text, kind)
    high_number = _split_unit(high_text, units)[0]
    scale = _MAGNITUDE.search(high_number)
    if low_text == _split_unit(low_text, units)[0] and not _MAGNITUDE.search(low_text) and (
            scale or high_number != high_text):
        # 3-5千平 / 2-3万元: the magnitude and unit said once count for both ends, unless
        # that would put low above high (500-1万).
        shared = low_text + (scale.group(0) if scale else "") + high_text[len(high_number):]
        scaled, low_unit = _one(shared, kind)
        low = scaled if scaled <= high else low
    if low_unit is not None and high_unit is not None and low_unit != high_unit:
        raise NumberError("ambiguous")
    if low > high:
        raise NumberError("ambiguous")
    return _tidy(low), _tidy(high), high_unit or low_unit


def _tidy(value: Decimal) -> Decimal:
    """3.5E+4 → 35000: figures are shown as typed."""
    value = value.normalize()
    exponent = value.as_tuple().exponent  # an int for a finite figure
    return value.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else value


def parse(raw, kind: str = "plain") -> tuple[Decimal | None, str | None]:
    """(value, unit) of one figure; (None, None) for nothing. A range is refused here
    (NumberError("range")): fields that take one call parse_range.

    kind "area": unit "sqm" / "mu" when one was written, else None (the form's radio decides).
    kind "money": the value in 万元 (元 and 亿 converted), unit None.
    kind "plain": a figure, perhaps followed by a unit word, which is ignored.
    """
    low, high, unit = parse_range(raw, kind)
    if low != high:
        raise NumberError("range")
    return low, unit


def spoken_digits(text: str) -> str | None:
    """一八六九二三四零七一六 → "18692340716": digits said one by one (幺 for 1); None when
    the text holds anything else."""
    text = re.sub(r"[\s-]", "", text or "")
    if not text or any(ch not in _SPOKEN and not ch.isdigit() for ch in text):
        return None
    return "".join(_SPOKEN.get(ch, ch) for ch in text)


# One figure inside free text, for the message reader: 3000, 1,200 (groups of three only),
# 1.5万, 1万5, 2亿5千万, 一万二, 三千五百, 三四十. Every quantifier is bounded (the reader
# runs it at every position of a pasted message). A figure never starts inside another one,
# nor after "1," of a list such as 1,2,3 (a mobile followed by a comma is no list).
_LEAD = r"(?<![\d.])(?<!(?<!\d{4})\d,)"
_UNITS = "十百千万亿"
FIGURE = (rf"(?:[一两二三四五六七八九][二三四五六七八九][{_UNITS}]{{1,2}}(?![{_DIGIT}{_UNITS}])"
          rf"|(?:{_LEAD}(?:\d{{1,3}}(?:,\d{{3}}){{1,3}}(?![\d,])|\d{{1,9}})(?:\.\d{{1,4}})?(?![\d])"
          rf"|十?[一两二三四五六七八九]|十)"
          rf"(?:[{_UNITS}]{{1,2}}(?:零?(?:\d(?![\d.年月日天个号栋层楼期])|[一两二三四五六七八九]))?)"
          r"{0,4})")
