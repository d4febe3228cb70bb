"""Which of our two UI languages is in use, and per-process caches of what Babel parses."""
import flask_babel
from babel import Locale, support
from flask import current_app, has_request_context
from flask_babel import get_locale
from wtforms.i18n import messages_path

_LOCALES: dict[str, Locale] = {}
_WTFORMS_CATALOGS: dict[str, support.Translations] = {}


def ui_language() -> str:
    """'zh_CN' or 'en'. (Babel spells zh_CN as zh_Hans_CN, so compare the language only.)"""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh_CN"


def parsed_locale(code: str) -> Locale:
    """Locale.parse(code), once per code (it walks Babel's locale list each time)."""
    locale = _LOCALES.get(code)
    if locale is None:
        locale = _LOCALES[code] = Locale.parse(code)
    return locale


def force_locale(code: str):
    """flask_babel.force_locale with the Locale parsed once per process, not at each use."""
    return flask_babel.force_locale(parsed_locale(code))


def default_locale():
    """Write in the app's default language (BABEL_DEFAULT_LOCALE, Chinese), whoever asked:
    for texts that are stored (activities, notifications) or leave the app (mail)."""
    return force_locale(current_app.config["BABEL_DEFAULT_LOCALE"])


class CachedTranslationsMeta:
    """Form Meta mixin: WTForms' own messages in the request's language, read once per process.

    Flask-WTF loads WTForms' catalog from disk on every request that builds a form (a field
    without a label asks for one); this gives the same catalog from a per-language cache.
    """

    def get_translations(self, form):
        if not has_request_context() or not current_app.config.get("WTF_I18N_ENABLED", True) \
                or "babel" not in current_app.extensions:
            return super().get_translations(form)
        locale = get_locale()
        key = str(locale)
        catalog = _WTFORMS_CATALOGS.get(key)
        if catalog is None:
            catalog = _WTFORMS_CATALOGS[key] = support.Translations.load(
                messages_path(), [locale], domain="wtforms")
        return catalog
