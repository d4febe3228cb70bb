import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from hypothesis.configuration import set_hypothesis_home_dir

from config import TestConfig
from crm import create_app
from crm.extensions import db as _db
from tests.support import caches

ROOT = Path(__file__).resolve().parent.parent

# Hypothesis keeps its example database outside the checkout (no test writes into it); the
# folder outlives the run, so a failing example is still replayed first next time.
if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "changfang-hypothesis")


def pytest_sessionstart(session):
    # The UI is asserted in Chinese, so the catalogs must be compiled: once, by the main
    # process (pytest-xdist's workers carry "workerinput" and would write the files at once).
    if hasattr(session.config, "workerinput"):
        return
    catalogs = ROOT / "crm" / "translations"
    if any(catalogs.glob("*/LC_MESSAGES/messages.po")):
        subprocess.run([str(Path(sys.executable).parent / "pybabel"), "-q", "compile",
                        "-d", str(catalogs)], check=True)


class FreshContextClient(FlaskClient):
    """Each request in its own app context, as in production.

    The tests hold an app context open for factories and queries; without this,
    requests would reuse it and share `g` (Flask-Login's cached user, Babel's locale).
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def _test_config(folder: Path) -> TestConfig:
    config = TestConfig()
    # A file, not :memory:, so the test's session and each request's session have
    # their own connections, as they would in production.
    config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder / 'test.sqlite3'}"
    config.CRM_MEDIA_DIR = str(folder / "media")  # listing photos, never in instance/
    return config


@pytest.fixture(scope="session")
def empty_schema(tmp_path_factory) -> Path:
    """A SQLite file with the empty schema, made once per process: each test starts from a
    copy (a third of what create_all costs, for every one of the unit tests)."""
    folder = tmp_path_factory.mktemp("schema")
    app = create_app(_test_config(folder))
    with app.app_context():
        _db.create_all()  # tests only: the real schema comes from migrations (tested apart)
        _db.engine.dispose()  # closes the WAL into the file
    return folder / "test.sqlite3"


@pytest.fixture
def app(tmp_path, empty_schema):
    shutil.copyfile(empty_schema, tmp_path / "test.sqlite3")
    app = create_app(_test_config(tmp_path))
    app.test_client_class = FreshContextClient
    caches.forget_all()  # what the last test's database put in this process's memory
    with app.app_context():
        yield app
        _db.session.remove()
        _db.engine.dispose()  # the file goes with tmp_path


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    return _db


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, email, password="secret-pass"):
        return self.client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


def errors_in(html: str) -> list[str]:
    """The per-field error messages shown on a page."""
    return re.findall(r'<p class="error"[^>]*>([^<]*)</p>', html)


def pytest_unconfigure(config):
    """Let the interpreter exit: every rate-limit MemoryStorage (limits) starts a non-daemon
    threading.Timer. Under libfaketime's faked monotonic clock (CI runs the unit tests at far
    dates) such a timer never fires, and Python would wait for it for ever at exit."""
    import threading
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()
