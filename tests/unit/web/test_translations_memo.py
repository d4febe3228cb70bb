"""The request's catalog is looked up once, and still follows every change of language."""
import flask_babel
from flask_babel import gettext, refresh

from crm.i18n import force_locale


def _counting(monkeypatch) -> list:
    """Count the stock catalog lookups (what the memo saves)."""
    calls = []
    stock = flask_babel.Domain.get_translations

    def counted(self):
        calls.append(1)
        return stock(self)
    monkeypatch.setattr(flask_babel.Domain, "get_translations", counted)
    return calls


def test_a_request_looks_its_catalog_up_once(app, monkeypatch):
    calls = _counting(monkeypatch)
    with app.app_context(), app.test_request_context("/?lang=zh_CN"):
        words = [gettext("Leads") for _ in range(50)]
    assert words == ["线索"] * 50
    assert len(calls) == 1


def test_a_forced_language_is_used_inside_and_forgotten_after(app):
    with app.app_context(), app.test_request_context("/?lang=zh_CN"):
        assert gettext("Leads") == "线索"
        with force_locale("en"):
            assert gettext("Leads") == "Leads"
        assert gettext("Leads") == "线索"
    with app.app_context(), app.test_request_context("/?lang=en"):
        assert gettext("Leads") == "Leads"
        with force_locale("zh_CN"):
            assert gettext("Leads") == "线索"
        assert gettext("Leads") == "Leads"


def test_refresh_picks_the_new_language(app):
    with app.test_request_context("/?lang=zh_CN") as ctx:
        assert gettext("Leads") == "线索"
        ctx.request.args = ctx.request.args.copy()
        ctx.request.args["lang"] = "en"
        refresh()
        assert gettext("Leads") == "Leads"


def test_pages_of_both_languages_in_one_process(client):
    """One process serves both languages in turn: nothing of one request's language is kept
    for the next."""
    for lang, shown, absent in (("zh_CN", "登录", "Log in"), ("en", "Log in", "登录"),
                                ("zh_CN", "登录", "Log in")):
        page = client.get(f"/login?lang={lang}").get_data(as_text=True)
        assert shown in page and absent not in page
