from pathlib import Path

import pytest


@pytest.fixture
def media(app) -> Path:
    """The app's media folder: a temporary one (tests/conftest.py). Shared by the photo tests."""
    return Path(app.config["CRM_MEDIA_DIR"])
