import pytest

from crm.intake import capture


@pytest.fixture
def sent(monkeypatch):
    """Every task capture publishes (routing, notices, mail), instead of publishing it."""
    tasks = []
    monkeypatch.setattr(capture, "enqueue_routing", lambda lead_id: tasks.append(lead_id))
    monkeypatch.setattr(capture, "enqueue", lambda name, *args: tasks.append(name))
    return tasks
