"""The dashboard in a real browser: Debian's chromium driven by Playwright.

Skipped when /usr/bin/chromium or the playwright package is missing (the package never
downloads a browser here; it drives the system one). Saves screenshots to docs/screenshots/.
"""
import os
import threading
from pathlib import Path

import pytest

from config import Config
from crm import create_app
from crm.extensions import db

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)


@pytest.fixture
def live_server(tmp_path, monkeypatch):
    from werkzeug.serving import make_server

    from crm.demo.history import seed_history
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'browser.sqlite3'}")
    monkeypatch.delenv("REDIS_URL", raising=False)
    app = create_app(Config())
    with app.app_context():
        db.create_all()
        seed_history(3000, seed_value=11)
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def _open_dashboard(browser, base, viewport, lang):
    page = browser.new_page(viewport=viewport)
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(f"{base}/login?lang={lang}")
    page.fill("input[name=email]", "sh.manager@example.com")
    page.fill("input[name=password]", "demo1234")
    page.click("button[type=submit]")
    page.goto(f"{base}/reports/?lang={lang}")
    page.wait_for_selector(".chart canvas", timeout=15000)
    page.wait_for_timeout(800)  # let the charts' entry animation finish for the screenshot
    return page, problems


def test_dashboard_draws_its_charts_without_console_errors(live_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page, problems = _open_dashboard(browser, live_server, {"width": 1280, "height": 900},
                                             "zh_CN")
            charts = page.locator(".chart").count()
            assert charts == 5
            assert page.locator(".chart canvas").count() == charts  # every chart drew
            assert page.locator("#total").inner_text().strip() not in ("", "0")
            # Each chart also comes as a table.
            assert page.locator("figure.chart-card table.data").count() == charts
            assert problems == []
            page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)

            phone, problems = _open_dashboard(browser, live_server,
                                              {"width": 375, "height": 812}, "en")
            assert phone.locator(".chart canvas").count() == 5
            phone.screenshot(path=str(SHOTS / "dashboard-phone.png"), full_page=True)
            wide = phone.evaluate("""() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > 376 && !e.closest('.scroll, .tabs'))
                .map(e => e.tagName + '.' + e.className + '#' + e.id).slice(0, 5)""")
            assert wide == []  # nothing but the scrolling tables runs off a phone screen
            assert problems == []
        finally:
            browser.close()
