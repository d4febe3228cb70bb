"""Issue 28 walkthrough: the import page said `done` in the Chinese UI, and its dry run did
not count rows repeating an earlier row's mobile in the same file."""
import io

from sqlalchemy import select

from crm.models import ImportJob, Lead
from tests.factories import TeamFactory, UserFactory

CSV = ("联系人,手机,公司\n"
       "刘先生,13391219793,湖州新能源有限公司\n"
       "刘总,133 9121 9793,湖州新能源有限公司\n"          # the same mobile again
       "郑经理,13700002222,嘉兴公司\n"
       "郑总,+86 137-0000-2222,嘉兴公司\n"                # again, written otherwise
       "孙先生,13600003333,另一家公司\n")


def test_the_dry_run_counts_in_file_repeats_and_the_status_is_translated(client, auth, db):
    team = TeamFactory()
    UserFactory(team=team, email="boss@example.com", role="manager")
    UserFactory(team=team)
    auth.login("boss@example.com")
    client.post("/manage/import/", data={"file": (io.BytesIO(CSV.encode()), "a.csv")},
                content_type="multipart/form-data")
    job = db.session.scalars(select(ImportJob)).one()
    fields = {f"col_{k}": v for k, v in job.mapping.items()}
    client.post(f"/manage/import/{job.id}/mapping", data={**fields, "duplicates": "skip"})
    html = client.get(f"/manage/import/{job.id}/dry-run").get_data(as_text=True)
    assert "另有 2 行与本文件中前面的行重复" in html
    english = client.get(f"/manage/import/{job.id}/dry-run?lang=en").get_data(as_text=True)
    assert "2 more repeat an earlier row of this file" in english

    assert client.post(f"/manage/import/{job.id}/dry-run").status_code == 302
    assert len(db.session.scalars(select(Lead)).all()) == 3      # as the dry run said
    progress = client.get(f"/manage/import/{job.id}/progress").get_data(as_text=True)
    assert '<span class="badge">已完成</span>' in progress and ">done<" not in progress
