"""Import: column guessing, a dry run with per-row errors (the form's own checks), the job."""
import io
import re
from datetime import timedelta

from sqlalchemy import select

from crm.intake import importer
from crm.models import Activity, ImportJob, ImportRow, InquiryRepeat, Lead, LeadStage
from crm.models.types import utcnow
from tests.conftest import errors_in
from tests.factories import TeamFactory, UserFactory, known_lead

CSV = ("联系人,手机,公司,需求,面积,税收,类型,租售\n"
       "刘先生,13391219793,湖州新能源有限公司,长兴厂房,3000平,500万,厂房,租\n"
       ",13800001111,无名公司,,,,,\n"                      # no contact person
       "周女士,400 0123 021,热线公司,,,,,\n"               # a hotline, not a mobile
       "吴总,13912345678,,仓库,abc,,仓库,买\n"              # area not a number
       "郑经理,13700002222,嘉兴公司,土地,30亩,1500,土地,购买\n"
       "孙先生,13600003333,重复公司,,,,,\n")


def test_headers_in_chinese_and_english_are_guessed():
    mapping = importer.guess_mapping(["联系人", "手机号码", "公司名称", "需求", "面积(㎡)", "年税收(万元)",
                                      "Email", "行业"])
    assert mapping == {"contact_name": 0, "mobile": 1, "company": 2, "message": 3, "area_min": 4,
                       "annual_tax_wan": 5, "email": 6, "industry": 7}
    english = importer.guess_mapping(["Name", "Mobile", "Company", "Tax", "Investment"])
    assert english == {"contact_name": 0, "mobile": 1, "company": 2, "annual_tax_wan": 3,
                       "investment_wan": 4}


def _upload(client, data: bytes, name: str):
    return client.post("/manage/import/", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_dry_run_shows_per_row_errors_then_imports_with_dedup(client, auth, db):
    team = TeamFactory()
    UserFactory(team=team, email="boss@example.com", role="manager")
    agent = UserFactory(team=team)
    old = known_lead(mobile_e164="+8613600003333", created_at=utcnow() - timedelta(days=5))
    auth.login("boss@example.com")
    response = _upload(client, CSV.encode("gb18030"), "brokers.csv")  # Excel's GBK CSV
    assert response.status_code == 302
    job = db.session.scalars(select(ImportJob)).one()
    assert job.total == 6 and job.mapping["contact_name"] == 0 and job.mapping["mobile"] == 1
    mapping_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "湖州新能源有限公司" in mapping_page  # a sample of the rows
    fields = {f"col_{k}": v for k, v in job.mapping.items()}
    assert client.post(f"/manage/import/{job.id}/mapping",
                       data={**fields, "duplicates": "skip", "route": "y"}).status_code == 302
    html = client.get(f"/manage/import/{job.id}/dry-run?lang=en").get_data(as_text=True)
    table = html[html.index('id="row-errors"'):]
    rows = dict(re.findall(r"<tr><td>(\d+)</td><td[^>]*>(.*?)</td></tr>", table, re.S))
    assert set(rows) == {"3", "4", "5"}
    assert "Please tell us who to contact." in rows["3"]
    assert "400/800 numbers are company hotlines" in rows["4"]
    assert "Please enter a number, e.g. 5000." in rows["5"]
    assert "3 of 6 rows can be imported; 3 have errors; 1 repeat" in html
    assert db.session.scalars(select(Lead)).all() == [old]  # a dry run writes nothing

    assert client.post(f"/manage/import/{job.id}/dry-run").status_code == 302
    db.session.expire_all()
    job = db.session.get(ImportJob, job.id)
    assert job.status == "done" and (job.processed, job.created, job.skipped, job.failed) == (6, 2, 1, 3)
    new = db.session.scalars(select(Lead).where(Lead.channel == "import").order_by(Lead.id)).all()
    assert [lead.contact_name for lead in new] == ["刘先生", "郑经理"]
    liu, zheng = new
    assert liu.area_min_sqm == 3000 and liu.property_type == "factory" and liu.deal_type == "rent"
    assert zheng.area_unit == "mu" and zheng.deal_type == "buy" and zheng.property_type == "land"
    assert liu.consent is False and liu.score is not None
    assert all(lead.assigned_to_id == agent.id for lead in new)  # routed like any other
    progress = client.get(f"/manage/import/{job.id}/progress").get_data(as_text=True)
    assert "6/6" in progress and "hx-get" not in progress  # finished: polling stops

    # A redelivered task changes nothing.
    importer.run(job.id)
    assert len(db.session.scalars(select(Lead).where(Lead.channel == "import")).all()) == 2


def test_link_duplicates_and_keep_unassigned(client, auth, db):
    """Rows go through the capture path of every channel: a repeat is linked to the earlier
    lead as a repeat inquiry (not a second lead), a new lead gets its stage history."""
    team = TeamFactory()
    boss = UserFactory(team=team, email="boss@example.com", role="manager")
    UserFactory(team=team)
    old = known_lead(mobile_e164="+8613391219793")
    job = importer.create_job("a.csv", "联系人,手机\n刘先生,13391219793\n王女士,13391219794\n"
                              .encode(), boss)
    importer.save_mapping(job, {"contact_name": 0, "mobile": 1}, "link", route=False)
    importer.start(job)
    lead = db.session.scalars(select(Lead).where(Lead.channel == "import")).one()
    assert lead.mobile_e164 == "+8613391219794"
    assert lead.assigned_to_id is None and lead.team_id == team.id and lead.routed_at is not None
    assert lead.consent is False
    assert db.session.scalars(select(LeadStage.stage).where(LeadStage.lead_id == lead.id)).all() \
        == ["new"]
    repeat = db.session.scalars(select(InquiryRepeat)).one()
    assert repeat.original_lead_id == old.id and repeat.channel == "import"
    notice = db.session.scalars(select(Activity).where(Activity.lead_id == old.id)).one()
    assert notice.kind == "repeat_inquiry"
    rows = {r.row_number: r for r in db.session.scalars(select(ImportRow))}
    assert rows[2].outcome == "linked" and rows[2].detail == old.reference
    assert rows[3].outcome == "created" and rows[3].lead_id == lead.id


def test_xlsx_and_bad_files(client, auth, db):
    from openpyxl import Workbook
    boss = UserFactory(email="boss@example.com", role="manager")
    book = Workbook()
    book.active.append(["姓名", "电话"])
    book.active.append(["刘先生", 13391219793])  # a number cell, as Excel keeps phones
    buffer = io.BytesIO()
    book.save(buffer)
    job = importer.create_job("leads.xlsx", buffer.getvalue(), boss)
    assert job.rows == [["刘先生", "13391219793"]] and job.mapping == {"contact_name": 0, "mobile": 1}
    auth.login("boss@example.com")
    for data, name, message in ((b"x", "a.pdf", "Please upload a .csv or .xlsx file."),
                                (b"not a zip", "a.xlsx", "The Excel file cannot be read."),
                                (b"\n\n", "a.csv", "The file has no rows.")):
        response = _upload(client, data, name)
        assert response.status_code == 422
        assert message in client.post("/manage/import/?lang=en", data={
            "file": (io.BytesIO(data), name)}, content_type="multipart/form-data").get_data(as_text=True)


def test_only_the_importer_or_an_admin_sees_a_job(client, auth, db):
    boss = UserFactory(email="boss@example.com", role="manager")
    UserFactory(email="other@example.com", role="manager")
    job = importer.create_job("a.csv", "联系人,手机\n刘先生,13391219793\n".encode(), boss)
    auth.login("other@example.com")
    assert client.get(f"/manage/import/{job.id}").status_code == 403


def test_files_too_wide_or_too_large_unpacked_are_refused_before_they_fill_memory(db):
    """Issue 14: a CSV header with millions of columns, or a zip bomb of an XLSX, exhausted
    the worker's memory."""
    import zipfile

    boss = UserFactory(email="boss@example.com", role="manager")

    def refusal(name: str, data: bytes) -> str:
        job = importer.create_job(name, data, boss)  # read by the task (in-process here)
        assert job.status == "failed" and job.rows == [] and job.upload is None
        return job.error

    wide = ("," * 1_000_000 + "\n").encode()
    assert refusal("wide.csv", wide) == "too_wide"
    long_cell = ("联系人\n" + "刘" * 50_000 + "\n").encode()
    assert refusal("long.csv", long_cell) == "too_wide"
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (60 * 1024 * 1024))
    assert len(bomb.getvalue()) < 200_000
    assert refusal("bomb.xlsx", bomb.getvalue()) == "too_big"


def test_a_spreadsheet_larger_than_a_form_uploads_with_csrf_on(app, client, auth, db):
    """The import's larger limit holds from the first read of the body: the CSRF check read
    it first, under the inquiry form's 256 KB, and answered 413."""
    app.config["WTF_CSRF_ENABLED"] = True
    UserFactory(team=TeamFactory(), email="boss@example.com", role="manager")
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
    client.post("/login", data={"email": "boss@example.com", "password": "secret-pass",
                                "csrf_token": token})
    page = client.get("/manage/import/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    note = "长兴或者湖州吴兴单层厂房三千到五千平米层高八米以上需要环评" * 2
    rows = "".join(f"客户{i},139{i:08d},某某精密机械有限公司{i},{note}\n" for i in range(3000))
    data = ("联系人,手机,公司,需求\n" + rows).encode()
    assert len(data) > 300_000 > app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/manage/import/", data={"file": (io.BytesIO(data), "big.csv"),
                                                    "csrf_token": token},
                           content_type="multipart/form-data")
    assert response.status_code == 302, errors_in(response.get_data(as_text=True))
    assert db.session.scalars(select(ImportJob)).one().total == 3000
