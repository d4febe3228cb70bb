"""Which of our two UI languages is in use."""
from flask_babel import get_locale


def ui_language() -> str:
    """'zh_CN' or 'en'. (Babel spells zh_CN as zh_Hans_CN, so compare the language only.)"""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh_CN"
