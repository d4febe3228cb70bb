"""Chinese mobile numbers as people type them: parse, normalise, or explain the refusal."""
import functools
import re
from dataclasses import dataclass

import phonenumbers
from flask_babel import lazy_gettext as _l
from phonenumbers import PhoneNumberType

from crm.inputs.numbers import SPOKEN_DIGITS, spoken_digits
from crm.inputs.text import clean_text, to_halfwidth

# What may appear inside a single number as typed: digits, +, spaces, dashes, dots, brackets.
_NUMBER_PART = re.compile(r"^[\d+\-\s.()]+")
_WECHAT_WORDS = ("微信", "wechat", "weixin", "vx", "wx")
_SEPARATORS = re.compile(r"[/,;，；、|]|或|及|和")


class PhoneError(ValueError):
    """A refusal with a message meant for the person who typed the number."""

    def __init__(self, code: str, message):
        super().__init__(code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Mobile:
    e164: str          # +8613391219793
    display: str       # 133 9121 9793
    note: str = ""     # trailing words kept verbatim, e.g. 仅微信
    prefers_wechat: bool = False


def parse_mobile(raw) -> Mobile:
    # An inquiry's mobile is read twice (its rate-limit bucket, then the form): the second
    # read is the first one's answer. A refusal is not kept; it raises again.
    return _parse_mobile(raw) if isinstance(raw, str) else _parse_mobile.__wrapped__(raw)


@functools.lru_cache(maxsize=256)
def _parse_mobile(raw) -> Mobile:
    text = to_halfwidth(clean_text(raw, max_length=80))
    # A number written as said on a call (一八六九二三四零七一六, 幺 for 1) is that number.
    head = re.match(rf"^[\d\s\-{SPOKEN_DIGITS}]+", text)
    if head and re.search(f"[{SPOKEN_DIGITS}]", head.group(0)):
        spoken = spoken_digits(head.group(0).strip())
        if spoken and len(spoken) >= 11:
            text = spoken + text[head.end():]
    if not text:
        raise PhoneError("empty", _l("Please enter a mobile number."))
    match = _NUMBER_PART.match(text)
    number_part = match.group(0) if match else ""
    # Brackets or dashes after the last digit belong to the note: "138...（微信同号）".
    last_digit = re.match(r"^.*\d", number_part)
    number_part = last_digit.group(0) if last_digit else ""
    note = text[len(number_part):].strip()
    if _SEPARATORS.search(note) and re.search(r"\d{5,}", note):
        raise PhoneError("several", _l("Please enter one mobile number only."))
    if re.search(r"\d", note):
        raise PhoneError("invalid", _l("This is not a valid mobile number."))
    digits = re.sub(r"\D", "", number_part)
    if number_part.strip().startswith("+") and not number_part.strip().startswith("+86"):
        raise PhoneError("foreign", _l("Please enter a mainland China mobile number."))
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not digits:
        raise PhoneError("invalid", _l("This is not a valid mobile number."))
    if len(digits) > 13 or len(re.findall(r"1[3-9]\d{9}", digits)) > 1:
        raise PhoneError("several", _l("Please enter one mobile number only."))
    if digits.startswith(("400", "800")):
        raise PhoneError("hotline", _l("400/800 numbers are company hotlines, not mobiles. "
                                       "Please enter a mobile number."))
    if digits.startswith("0"):
        raise PhoneError("landline", _l("This looks like a landline. Please enter a mobile number."))
    if not re.fullmatch(r"1[3-9]\d{9}", digits):
        raise PhoneError("invalid", _l("A mobile number has 11 digits and starts with 13–19."))
    parsed = phonenumbers.parse(digits, "CN")
    if not phonenumbers.is_valid_number(parsed) or phonenumbers.number_type(parsed) not in (
            PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise PhoneError("unallocated", _l("This mobile number range is not in use. Please check it."))
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    lowered = note.lower()
    return Mobile(e164=e164, display=national, note=note[:60],
                  prefers_wechat=any(word in lowered for word in _WECHAT_WORDS))


def contact_preference(mobile: Mobile | None) -> str:
    """How the prospect wants to be reached: WeChat without a mobile or when the note asks
    for it ("仅微信"), else a call."""
    return "wechat" if mobile is None or mobile.prefers_wechat else "phone"


def asks_wechat_only(raw) -> bool:
    """A mobile box holding no number, only words naming WeChat ("仅微信", "((仅微信))",
    "wechat only"): the prospect wants WeChat and gave no mobile."""
    text = to_halfwidth(clean_text(raw, max_length=80)).lower()
    spoken = re.search(rf"[{SPOKEN_DIGITS}]{{11}}", re.sub(r"[\s-]", "", text))  # 一八六九…
    return not re.search(r"\d", text) and not spoken and any(w in text for w in _WECHAT_WORDS)


@functools.lru_cache(maxsize=1)
def mobile_pattern() -> str:
    """A regular expression of the mobile numbers parse_mobile() accepts in their plain
    forms (13912345678, 139 1234 5678, +86 139-1234-5678): the three-digit ranges that
    phonenumbers' data lists as mobile throughout, and a short note without digits after
    it ("微信同号"), as parse_mobile() keeps one. For the API's OpenAPI document."""
    samples = ("00000000", "12345678", "55555555", "87654321", "99999999", "31415926")
    prefixes = []
    for prefix in range(130, 200):
        numbers = (phonenumbers.parse(f"{prefix}{tail}", "CN") for tail in samples)
        if all(phonenumbers.is_valid_number(n) and phonenumbers.number_type(n) in (
                PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE) for n in numbers):
            prefixes.append(str(prefix))
    return (r"^(\+?86[ -]?)?(" + "|".join(prefixes) + r")[ -]?[0-9]{4}[ -]?[0-9]{4}"
            r"([^0-9０-９]{0,40})?$")
