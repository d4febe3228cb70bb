"""The reports migration gives leads that exist already their stage history."""
import sqlite3

from tests.support.stack import run_flask


def test_upgrade_backfills_stage_history_from_the_activity_log(tmp_path):
    path = tmp_path / "old.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{path}"}
    assert run_flask(env, "db", "upgrade", "d6efedce6d57").returncode == 0
    con = sqlite3.connect(path)
    lead = ("INSERT INTO lead (id, reference, created_at, channel, region_text, area_unit, usage, "
            "company, contact_name, mobile_e164, mobile_display, mobile_note, contact_preference, "
            "wechat_id, email, message, consent, consent_version, status, lost_reason, page_url, "
            "referrer, utm_source, utm_medium, utm_campaign) VALUES (?, ?, ?, 'web', '', 'sqm', "
            "'', '', '刘', '+8613300000000', '133', '', 'phone', '', '', '', 1, '', ?, '', '', '', "
            "'', '', '')")
    con.execute(lead, (1, "CF-A", "2026-11-01 00:00:00", "lost"))
    con.execute(lead, (2, "CF-B", "2026-11-02 00:00:00", "qualified"))  # set without a log
    con.execute(lead, (3, "CF-C", "2026-11-03 00:00:00", "spam"))
    activity = ("INSERT INTO activity (lead_id, kind, body, from_status, to_status, created_at) "
                "VALUES (1, 'status_change', '', ?, ?, ?)")
    con.execute(activity, ("new", "contacted", "2026-11-01 01:00:00"))
    con.execute(activity, ("contacted", "site_visit", "2026-11-05 00:00:00"))
    con.execute(activity, ("site_visit", "lost", "2026-11-06 00:00:00"))
    con.execute(activity, ("lost", "contacted", "2026-11-09 00:00:00"))  # reopened: not counted
    con.execute(activity, ("contacted", "lost", "2026-11-10 00:00:00"))
    con.commit()
    con.close()

    upgrade = run_flask(env, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    con = sqlite3.connect(path)
    rows = con.execute("SELECT lead_id, stage, reached_at FROM lead_stage ORDER BY 1, 3").fetchall()
    assert [(r[0], r[1], r[2][:16]) for r in rows] == [
        (1, "new", "2026-11-01 00:00"), (1, "contacted", "2026-11-01 01:00"),
        (1, "site_visit", "2026-11-05 00:00"), (1, "lost", "2026-11-06 00:00"),
        (2, "new", "2026-11-02 00:00"), (2, "qualified", "2026-11-02 00:00")]
    ranks = dict(con.execute("SELECT id, stage_rank FROM lead").fetchall())
    assert ranks == {1: 3, 2: 2, 3: 0}
