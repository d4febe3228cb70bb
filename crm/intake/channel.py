"""Which channel a pasted text came by, for the agent's entry form: most pasted texts are
WeChat messages (copied from the chat); a call note or an SMS says so."""
import re

# Words an agent's call note or a forwarded SMS carries; a WeChat message asking for a
# factory rarely does ("电话：139…" alone is a label, not a call, so 电话 is not one of them).
_CALL_NOTE = re.compile(r"来电|致电|回电|通话|热线|打来|打电话|电话咨询|电话记录|接听|短信|【短信】"
                        r"|\bcall(?:ed|er)?\b|\bsms\b", re.I)


def pasted_channel(text: str) -> str:
    """"phone" for a call note or an SMS, else "wechat"."""
    return "phone" if _CALL_NOTE.search(text or "") else "wechat"
