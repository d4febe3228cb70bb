"""What a WeChat ID looks like: 6–20 letters, digits, - or _, starting with a letter; or a
mobile number (WeChat lets people use theirs). What people type in the WeChat box that is
not an ID ("同手机号", "同上", "无", "-") must not make two prospects one."""
import re

WECHAT_ID = re.compile(r"[A-Za-z][-_A-Za-z0-9]{5,19}|1[3-9]\d{9}")
MOBILE_SHAPED = re.compile(r"1[3-9]\d{9}")


def is_wechat_id(text: str | None) -> bool:
    return text is not None and WECHAT_ID.fullmatch(text) is not None
