"""Which of our two UI languages a request gets and which is in use, and per-process caches of
what Babel parses."""
import functools
import re
from pathlib import Path

import flask_babel
from babel import Locale, support
from flask import current_app, has_request_context, request, session
from flask_babel import get_locale
from wtforms.i18n import messages_path
from wtforms.meta import DefaultMeta

_LOCALES: dict[str, Locale] = {}
_WTFORMS_CATALOGS: dict[str, support.NullTranslations] = {}


def locale_for_request() -> Locale:
    """Flask-Babel's locale selector. A parsed Locale, made once per language: Flask-Babel
    would parse the code on every request."""
    return parsed_locale(requested_language())


def requested_language() -> str:
    """'zh_CN' or 'en': ?lang=, else the language chosen earlier in this session, else the
    browser's preference (Chinese unless it prefers English)."""
    if not has_request_context():  # Celery tasks, CLI: the default language
        return "zh_CN"
    wanted = request.args.get("lang")
    supported = ["zh_CN", "en"]
    if wanted in supported:
        return wanted
    if session.get("lang") in supported:
        return session["lang"]
    # Chinese is the default: only a browser that prefers English gets English.
    best = request.accept_languages.best_match(["zh_CN", "zh", "en"])
    return "en" if best == "en" else "zh_CN"


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


class CachedTranslationsMeta(DefaultMeta):
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


# --- notes the system stored in the default language, shown in the reader's -------------

_PLACEHOLDER = re.compile(r"%\((\w+)\)([sd])")
_CJK = re.compile(r"[\u4e00-\u9fff]")


# A message with parameters: its literal start, the pattern recovering them, (msgid, each one's format).
_Formatted = tuple[str, re.Pattern[str], tuple[str, dict[str, str]]]


@functools.lru_cache(maxsize=1)
def _stored_phrases() -> tuple[dict[str, str], tuple[_Formatted, ...]]:
    """The default language's translations of the code's own messages (not the templates'):
    what a system note is written from. {msgstr: msgid} for plain ones, and for those with
    parameters (literal start, pattern recovering them, msgid and each one's format)."""
    from babel.messages.pofile import read_po
    default = parsed_locale(current_app.config["BABEL_DEFAULT_LOCALE"]).language
    plain: dict[str, str] = {}
    formatted: list[_Formatted] = []
    for po in sorted((Path(__file__).parent / "translations").glob("*/LC_MESSAGES/messages.po")):
        if Locale.parse(po.parts[-3]).language != default:
            continue
        with po.open("rb") as handle:
            catalog = read_po(handle)
        for message in catalog:
            if (not isinstance(message.id, str) or not isinstance(message.string, str)
                    or not message.string or not _CJK.search(message.string)
                    or not any(path.endswith(".py") for path, _line in message.locations)):
                continue
            first = _PLACEHOLDER.search(message.string)
            if first is None:
                plain.setdefault(message.string, message.id)
                continue
            pattern: list[str] = []
            kinds: dict[str, str] = {}
            at = 0
            for found in _PLACEHOLDER.finditer(message.string):
                pattern.append(re.escape(message.string[at:found.start()]))
                name = found.group(1)
                pattern.append(f"(?P={name})" if name in kinds else
                               f"(?P<{name}>-?\\d+)" if found.group(2) == "d" else f"(?P<{name}>.+?)")
                kinds[name] = found.group(2)
                at = found.end()
            pattern.append(re.escape(message.string[at:]))
            start = message.string[:first.start()]
            formatted.append((start, re.compile("".join(pattern)), (message.id, kinds)))
    # The most words besides its parameters first: "按%(strategy)s分配给 %(agent)s。" before
    # "按%(dimension)s".
    return plain, tuple(sorted(formatted, key=lambda f: -len(_PLACEHOLDER.sub("", f[1].pattern))))


def in_ui_language(body: str) -> str:
    """A note the system stored in the default language (an assignment, a visit request…)
    in the reader's language: each line that is one of the code's phrases is translated,
    its parameters kept; anything else (what people typed) stays as written."""
    if not body or ui_language() == "zh_CN":
        return body
    plain, formatted = _stored_phrases()
    lines = []
    for line in body.split("\n"):
        msgid = plain.get(line)
        if msgid is not None:
            line = flask_babel.gettext(msgid)
        else:
            for start, pattern, (msgid, kinds) in formatted:
                found = line.startswith(start) and pattern.fullmatch(line)
                if found:
                    # A parameter may be a phrase itself (轮询 in "按轮询分配给 …").
                    values = {k: int(v) if kinds[k] == "d" else
                              flask_babel.gettext(plain[v]) if v in plain else v
                              for k, v in found.groupdict().items()}
                    line = flask_babel.gettext(msgid, **values)
                    break
        lines.append(line)
    return "\n".join(lines)
