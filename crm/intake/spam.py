"""Is an inquiry spam? Bot traps and a content check; the one list of spam words.

A judgement, never a refusal: spam is stored with its reasons and a manager can
release it, so a false positive costs a delay, not a lost customer.
"""
import re
import time

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, TimestampSigner

from crm.inputs.text import search_key
from crm.intake.inquiry import Inquiry

_SALT = "inquiry-form-started"

# Links: a scheme, a www. host, or a bare domain with a common TLD.
_LINK = re.compile(r"https?://|www\.|\b[a-z0-9-]+\.(?:com|net|cc|top|xyz|vip|shop|info|me|io)\b",
                   re.IGNORECASE)

# An email address in a message is a way to reach the prospect, not a link.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

# Adult and gambling words seen in spam on Chinese sites (matched on simplified,
# lower-case text, so traditional and full-width variants are caught too).
SPAM_WORDS = (
    # adult
    "色情", "成人网", "成人视频", "裸聊", "约炮", "一夜情", "援交", "av女优", "黄色网站", "激情视频",
    "porn", "sex cam", "escort",
    # gambling
    "赌博", "博彩", "百家乐", "六合彩", "时时彩", "北京赛车", "真人视讯", "娱乐城", "老虎机",
    "棋牌游戏", "网上赌场", "澳门赌场", "体育投注", "彩票平台", "casino", "baccarat", "betting",
    # other common junk
    "代开发票", "办证", "刷单", "viagra",
)


def new_fill_token() -> str:
    """A signed 'shown at' time for the form's hidden `started` field."""
    return TimestampSigner(current_app.config["SECRET_KEY"], salt=_SALT).sign("f").decode()


def _fill_seconds(token: str | None) -> float | None:
    try:
        _value, stamp = TimestampSigner(current_app.config["SECRET_KEY"], salt=_SALT).unsign(
            token or "", return_timestamp=True)
    except BadSignature:
        return None
    return time.time() - stamp.timestamp()


def bot_trap_reasons(honeypot: str, started: str | None) -> list[str]:
    """`honeypot`: the hidden field people do not see; `started`: the form's fill token."""
    reasons = []
    if honeypot:
        reasons.append("honeypot")
    minimum = current_app.config["CRM_SPAM_MIN_FILL_SECONDS"]
    if minimum > 0:
        seconds = _fill_seconds(started)
        if seconds is None:
            reasons.append("no_fill_token")
        elif seconds < minimum:
            reasons.append(f"too_fast:{max(seconds, 0):.0f}")
    return reasons


def content_reasons(*texts: str) -> list[str]:
    reasons = []
    if any(_LINK.search(_EMAIL.sub("", t or "")) for t in texts):
        reasons.append("link")
    haystack = search_key(*texts)
    words = [w for w in SPAM_WORDS if w in haystack]
    if words:
        reasons.append("words:" + "|".join(words[:5]))
    return reasons


def only_haste(reasons: list[str]) -> bool:
    """Sent faster than the time trap allows, and nothing else looks like spam: a browser's
    autofill does that for a real person. Such a lead is routed with a visible flag rather
    than hidden as spam while the prospect is promised a call."""
    return len(reasons) == 1 and reasons[0].startswith("too_fast")


def judge(inquiry: Inquiry, bot_traps: bool) -> list[str]:
    """Reasons this submission looks like spam; empty when it does not."""
    reasons = bot_trap_reasons(inquiry.honeypot, inquiry.started) if bot_traps else []
    reasons += content_reasons(inquiry.contact.name, inquiry.contact.company, inquiry.need.usage,
                               inquiry.need.region_text, inquiry.contact.wechat_id,
                               inquiry.message)
    return reasons


REASONS = {
    "honeypot": _l("a hidden field only robots see was filled in"),
    "no_fill_token": _l("sent without loading the form"),
    "too_fast": _l("sent faster than a person types"),
    "link": _l("contains a web link"),
    "words": _l("advertising words"),
}


def describe(stored: str) -> list[str]:
    """A lead's stored reasons ("too_fast:2,words:代开|发票") in words a manager reads."""
    out = []
    for reason in filter(None, (stored or "").split(",")):
        code, _sep, detail = reason.partition(":")
        label = str(REASONS.get(code, code))
        if code == "too_fast" and detail:
            detail = str(_l("sent %(n)s s after the form opened", n=detail))
        out.append(f"{label}（{detail.replace('|', '、')}）" if detail else label)
    return out
