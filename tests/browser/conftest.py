"""A live server on 127.0.0.1 (werkzeug in a thread, SQLite file) and Debian's chromium.

Playwright never downloads a browser here: it drives /usr/bin/chromium. With
CRM_REQUIRE_SERVICES=1 (CI) a missing chromium or Playwright fails the run.
"""
import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from config import TestConfig
from crm import create_app
from crm.extensions import db as _db

CHROMIUM = os.environ.get("CRM_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("CRM_REQUIRE_SERVICES") == "1"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def _unavailable(message: str):
    if REQUIRED:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture
def live_app(tmp_path):
    config = TestConfig()
    config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    config.CRM_MEDIA_DIR = str(tmp_path / "media")  # listing photos, never in instance/
    config.WTF_CSRF_ENABLED = True  # a real browser posts real forms
    app = create_app(config)
    with app.app_context():
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.drop_all()


@pytest.fixture
def live_server(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        _unavailable(f"chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"playwright is not installed: {exc}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 375, "height": 812}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def shoot_path(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


def shoot(page, name: str, full_page: bool = True) -> Path:
    path = shoot_path(name)
    page.screenshot(path=str(path), full_page=full_page)
    return path


# Runs in every document and frame before the page's own scripts (injected by the
# browser, so the page's CSP does not apply to it). Chromium's own "Refused to ..."
# messages do not always reach Playwright; the DOM event always fires in the document.
_REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + e.blockedURI
                + " on " + e.documentURI);
});
"""


def watch_console(page) -> list[str]:
    """Console errors, uncaught exceptions and CSP violations of the page and its frames,
    collected into the returned list (call before the first navigation)."""
    problems: list[str] = []
    page.context.add_init_script(_REPORT_CSP_VIOLATIONS)
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
    return problems
