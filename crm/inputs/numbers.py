"""Figures as people type them in China: 3000, 3,000, ３０００, 三千, 2千, 1.5万, 三千五,
with the unit written in the field (平 / 平米 / ㎡ / m² / 亩 / 万平; 元 / 万 / 万元 / 亿).

Area answers the value and the unit that was written (which wins over the form's unit
radio); money answers 万元, the unit every money field of the CRM is in.
"""
import re
from decimal import Decimal, InvalidOperation

from crm.inputs.text import clean_text, to_halfwidth

MAX_CHARS = 40

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_SMALL = {"十": 10, "百": 100, "千": 1000}
_LARGE = {"万": 10**4, "亿": 10**8}
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万亿]")
_NUMBER_TEXT = re.compile(r"^[\d.零〇一二两三四五六七八九十百千万亿]+$")

# Longest first: 平方米 before 平, 万元 before 万.
_AREA_UNITS = (("平方米", "sqm"), ("平方", "sqm"), ("平米", "sqm"), ("平", "sqm"), ("㎡", "sqm"),
               ("m²", "sqm"), ("m2", "sqm"), ("sqm", "sqm"), ("亩", "mu"))
_MONEY_UNITS = (("亿元", Decimal(10000)), ("亿", Decimal(10000)), ("万元", Decimal(1)),
                ("万", Decimal(1)), ("元", Decimal("0.0001")))


class NumberError(ValueError):
    """A figure that cannot be read; the field shows its own message."""


def _chinese_number(text: str) -> Decimal:
    """三千 → 3000, 2千 → 2000, 1.5万 → 15000, 三千五 → 3500, 一万二千 → 12000, 十二 → 12."""
    tokens = _TOKEN.findall(text)
    if "".join(tokens) != text or not tokens:
        raise NumberError(text)
    total, section, current = Decimal(0), Decimal(0), None
    last_small = None
    for token in tokens:
        if token in _CN_DIGITS or token[0].isdigit():
            if current is not None:  # two figures in a row: "3 5" is not a number
                raise NumberError(text)
            current = Decimal(_CN_DIGITS[token]) if token in _CN_DIGITS else Decimal(token)
        elif token in _SMALL:
            section += (current if current is not None else Decimal(1)) * _SMALL[token]
            current, last_small = None, _SMALL[token]
        else:  # 万, 亿
            section += current if current is not None else Decimal(0)
            if section == 0:
                section = Decimal(1)
            total += section * _LARGE[token]
            section, current, last_small = Decimal(0), None, None
    if current is not None:
        # 三千五 is 3500: a lone digit after 千/百 counts in the next smaller place.
        if last_small and current < 10 and current == current.to_integral():
            current *= Decimal(last_small) / 10
        section += current
    return total + section


def _split_unit(text: str, units) -> tuple[str, object]:
    lowered = text.lower()
    for word, unit in units:
        if lowered.endswith(word):
            return text[: len(text) - len(word)], unit
    return text, None


def parse(raw, kind: str = "plain") -> tuple[Decimal | None, str | None]:
    """(value, unit) from what was typed; (None, None) for nothing.

    kind "area": unit "sqm" / "mu" when one was written, else None (the form's radio decides).
    kind "money": the value in 万元 (元 and 亿 converted), unit None.
    kind "plain": a figure, perhaps followed by a unit word, which is ignored.
    """
    text = clean_text(raw, max_length=MAX_CHARS * 10)
    if len(text) > MAX_CHARS:
        raise NumberError("too long")
    text = to_halfwidth(text).replace(",", "").replace("，", "").replace(" ", "")
    text = text.replace("左右", "").replace("以上", "").replace("以下", "").replace("约", "")
    if not text:
        return None, None
    unit, factor = None, Decimal(1)
    if kind == "area":
        text, unit = _split_unit(text, _AREA_UNITS)
    elif kind == "money":
        text, money_factor = _split_unit(text, _MONEY_UNITS)
        factor = money_factor if money_factor is not None else Decimal(1)
    else:
        for units in (_AREA_UNITS, _MONEY_UNITS):
            text, _ignored = _split_unit(text, units)
    if text.startswith("-"):
        raise NumberError("negative")
    if not text or not _NUMBER_TEXT.match(text):
        raise NumberError(text)
    try:
        value = Decimal(text) if re.fullmatch(r"\d+(\.\d+)?", text) else _chinese_number(text)
    except InvalidOperation as exc:
        raise NumberError(text) from exc
    return value * factor, unit
