"""The demo as `flask crm seed-demo` makes it, at a frozen now."""
from datetime import UTC, datetime

import pytest
import time_machine

NOW = datetime(2026, 12, 6, 6, 0, tzinfo=UTC)


@pytest.fixture
def demo(runner, db):
    with time_machine.travel(NOW, tick=False):
        result = runner.invoke(args=["crm", "seed-demo"])
    assert result.exit_code == 0, result.output
    return db
