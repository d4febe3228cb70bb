"""Issue 28 walkthrough: a lead weeks overdue still said "请于 11-09 09:30 前联系"."""
from datetime import UTC, datetime, timedelta

import time_machine

from tests.factories import LeadFactory, UserFactory

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)   # 10:00 in Shanghai


def test_the_deadline_badge_says_how_late(client, auth, db):
    me = UserFactory(email="me@example.com")
    def lead(due):
        return LeadFactory(assigned_to=me, sla_due_at=due, sla_half_at=due - timedelta(minutes=15))
    weeks = lead(datetime(2026, 11, 9, 1, 30, tzinfo=UTC))
    hours, ahead = lead(NOW - timedelta(hours=3)), lead(NOW + timedelta(minutes=20))
    db.session.commit()
    with time_machine.travel(NOW, tick=False):
        auth.login("me@example.com")
        page = client.get(f"/agent/leads/{weeks.id}").get_data(as_text=True)
        assert "已超时 21 天" in page and "请于 11-09 09:30 前联系" not in page
        assert "已超时（应于 11-30 07:00 前联系）" in client.get(
            f"/agent/leads/{hours.id}").get_data(as_text=True)
        assert "请于 11-30 10:20 前联系" in client.get(
            f"/agent/leads/{ahead.id}").get_data(as_text=True)
        queue = client.get("/agent/leads").get_data(as_text=True)
        assert "已超时 21 天" in queue and "请于 11-30 10:20 前联系" in queue
        english = client.get(f"/agent/leads/{weeks.id}?lang=en").get_data(as_text=True)
        assert "overdue by 21 days" in english
