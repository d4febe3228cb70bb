"""Issue 27: the importer reads what a workbook holds, in the import task, never a wrong value.

The hostile workbooks are made here with openpyxl (and their XML edited where openpyxl
would not write the trick)."""
import io
import re
import time
import zipfile
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import select
from stdnum.cn import uscc

from crm.intake import importer, sheets
from crm.models import ImportJob, Lead
from tests.factories import TeamFactory, UserFactory

VALID_CODE = "91110000600037341L"  # passes the check (docs: DOMAIN.md)
DIGIT_CODE = "911100001000012072"  # all digits, valid check character
LOST_CODE = 9.111000010000123e17   # what Excel keeps of 911100001000012345


def _xlsx(rows, merges=(), dimension=None, edits=()) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for ref in merges:
        sheet.merge_cells(ref)
    buffer = io.BytesIO()
    book.save(buffer)
    if dimension:
        edits = [*edits, (rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{dimension}"/>')]
    return _edit_sheet(buffer.getvalue(), edits) if edits else buffer.getvalue()


def _edit_sheet(data: bytes, edits) -> bytes:
    """The sheet's XML rewritten where openpyxl would not write the trick (a declared used
    range other than what the sheet holds; a long number written out digit by digit)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                for pattern, replacement in edits:
                    content, count = re.subn(pattern, replacement.encode(), content)
                    assert count == 1
            target.writestr(info, content)
    return out.getvalue()


@pytest.fixture
def boss(db):
    team = TeamFactory()
    UserFactory(team=team)
    return UserFactory(team=team, email="boss@example.com", role="manager")


def test_merged_cells_are_filled_down_and_across_and_the_report_says_so(client, auth, boss):
    # The company merged over its two contacts' rows, the need merged across two columns;
    # the merge over blank rows 5-6 is a tall cell, not two more leads.
    data = _xlsx([["公司", "联系人", "手机", "需求", "备注"],
                  ["湖州新能源有限公司", "刘先生", 13391219793, "长兴厂房3000平", None],
                  [None, "王女士", 13391219794, "仓库", "急"],
                  ["嘉兴公司", "周先生", 13391219795, None, None],
                  [None, None, None, None, None],
                  [None, None, None, None, None]],
                 merges=["A2:A3", "D2:E2", "A4:A6"])
    job = importer.create_job("brokers.xlsx", data, boss)
    assert job.status == "uploaded"
    assert job.rows == [["湖州新能源有限公司", "刘先生", "13391219793", "长兴厂房3000平", "长兴厂房3000平"],
                        ["湖州新能源有限公司", "王女士", "13391219794", "仓库", "急"],
                        ["嘉兴公司", "周先生", "13391219795", "", ""]]
    assert job.notes == {"merged": 2}
    auth.login("boss@example.com")
    page = client.get(f"/manage/import/{job.id}/mapping?lang=en").get_data(as_text=True)
    assert "2 merged cells were filled with the value of their first cell." in page
    assert "2 个合并单元格" in client.get(f"/manage/import/{job.id}/mapping?lang=zh_CN").get_data(as_text=True)


def test_a_credit_code_stored_as_a_number_is_refused_not_rounded(client, auth, boss):
    data = _xlsx([["联系人", "手机", "公司", "信用代码"],
                  ["刘先生", 13391219793, "甲公司", LOST_CODE],          # Excel's rounding
                  ["王女士", 13391219794, "乙公司", 1],   # DIGIT_CODE digit by digit
                  ["周先生", 13391219795, "丙公司", VALID_CODE],          # a text cell
                  ["吴总", 13391219796, "丁公司", 2]],  # 911100001000012345: exact, wrong check
                 edits=[(rb"<v>1</v>", f"<v>{DIGIT_CODE}</v>"),
                        (rb"<v>2</v>", "<v>911100001000012345</v>")])
    job = importer.create_job("codes.xlsx", data, boss)
    assert [row[3] for row in job.rows] == ["", DIGIT_CODE, VALID_CODE, ""]
    assert "911100001000012288" not in str(job.rows)
    assert job.notes == {"long_numbers": ["D2", "D5"], "long_numbers_count": 2}
    auth.login("boss@example.com")
    fields = {f"col_{k}": v for k, v in job.mapping.items()}
    client.post(f"/manage/import/{job.id}/mapping", data={**fields, "duplicates": "skip", "route": "y"})
    page = client.get(f"/manage/import/{job.id}/dry-run?lang=en").get_data(as_text=True)
    assert ("2 cells hold a number of more than 15 digits, which the spreadsheet has rounded "
            "(a credit code stored as a number, for instance); they are left empty: D2, D5. "
            "Format the column as text") in page
    client.post(f"/manage/import/{job.id}/dry-run")
    codes = dict(db_leads())
    assert codes == {"刘先生": None, "王女士": DIGIT_CODE, "周先生": VALID_CODE, "吴总": None}


def db_leads():
    from crm.extensions import db
    return db.session.execute(select(Lead.contact_name, Lead.credit_code)).all()


@pytest.mark.parametrize("value, text", [
    (13391219793, "13391219793"), (13391219793.0, "13391219793"), (3000.5, "3000.5"),
    (123456789012345, "123456789012345"), (-5, "-5"), (True, "True")])
def test_numbers_up_to_15_digits_are_read_as_typed(value, text):
    assert sheets._cell(value) == text


@pytest.mark.parametrize("value", [LOST_CODE, 1234567890123456, 1e300, -9.9e17,
                                   int(VALID_CODE[:17] + "0")])
def test_longer_numbers_that_are_not_an_exact_credit_code_are_refused(value):
    with pytest.raises(sheets._LongNumber):
        sheets._cell(value)


@given(st.integers(min_value=-(10**15 - 1), max_value=10**15 - 1))
def test_any_whole_number_of_up_to_15_digits_is_exact(number):
    assert sheets._cell(number) == sheets._cell(float(number)) == str(number)


@given(st.floats(min_value=1e15, allow_infinity=False)
       | st.floats(max_value=-1e15, allow_infinity=False))
def test_a_floating_number_of_more_than_15_digits_is_never_kept(value):
    with pytest.raises(sheets._LongNumber):
        sheets._cell(value)


@given(st.integers(min_value=10**15, max_value=10**19))
def test_a_long_whole_number_is_kept_only_as_the_valid_credit_code_it_spells(number):
    try:
        text = sheets._cell(number)
    except sheets._LongNumber:
        return
    assert text == str(number) and len(text) == 18 and uscc.is_valid(text)


def test_the_sheet_is_read_by_what_it_holds_not_by_its_declared_dimension(boss):
    rows = [["联系人", "手机", "公司"], ["刘先生", 13391219793, "甲公司"],
            ["王女士", 13391219794, "乙公司"]]
    expected = [["刘先生", "13391219793", "甲公司"], ["王女士", "13391219794", "乙公司"]]
    # Declaring less than it holds lost the data (read-only openpyxl trusts the dimension).
    small = importer.create_job("small.xlsx", _xlsx(rows, dimension="A1:A1"), boss)
    assert (small.headers, small.rows) == (["联系人", "手机", "公司"], expected)
    # Declaring the whole grid cost seconds of CPU: every row padded to 16,384 cells.
    many = rows + rows[1:] * 1000
    huge = _xlsx(many, dimension="A1:XFD1048576")
    assert len(huge) < 30_000
    started = time.process_time()
    table = sheets.read_table("huge.xlsx", huge, max_rows=5000)
    assert time.process_time() - started < 0.5  # about 0.05 s; 1.5 s before
    assert (table.headers, table.rows) == (["联系人", "手机", "公司"], expected * 1001)


def test_rows_and_columns_are_bounded_with_a_message(app, client, auth, boss):
    app.config["CRM_IMPORT_MAX_ROWS"] = 3
    wide = _xlsx([["联系人"] + [None] * 99 + ["第101列"], ["刘先生"]])
    job = importer.create_job("wide.xlsx", wide, boss)
    assert (job.status, job.error) == ("failed", "too_wide")
    # Styled empty cells far out are not part of the sheet: only values count.
    book = Workbook()
    book.active.append(["联系人", "手机"])
    book.active.append(["刘先生", 13391219793])
    book.active["ZZ5000"].number_format = "0.00"
    buffer = io.BytesIO()
    book.save(buffer)
    assert importer.create_job("styled.xlsx", buffer.getvalue(), boss).rows == [["刘先生", "13391219793"]]
    long = _xlsx([["联系人"], ["甲"], ["乙"], ["丙"], ["丁"]])
    auth.login("boss@example.com")
    response = client.post("/manage/import/?lang=en", data={"file": (io.BytesIO(long), "long.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "The file has more than 3 rows: please split it into several files." in response.get_data(as_text=True)
    response = client.post("/manage/import/?lang=en", data={"file": (io.BytesIO(wide), "wide.xlsx")},
                           content_type="multipart/form-data")
    assert ("The file has more than 100 columns, or a cell of more than 2000 characters: a lead "
            "list has neither.") in response.get_data(as_text=True)


def test_the_upload_request_only_keeps_the_file_and_the_task_reads_it(client, auth, boss,
                                                                       monkeypatch):
    queued = []
    monkeypatch.setattr(importer, "enqueue", lambda *args: queued.append(args) or True)
    auth.login("boss@example.com")
    data = _xlsx([["联系人", "手机"], ["刘先生", 13391219793]], dimension="A1:XFD1048576")
    response = client.post("/manage/import/", data={"file": (io.BytesIO(data), "a.xlsx")},
                           content_type="multipart/form-data")
    from crm.extensions import db
    job = db.session.scalars(select(ImportJob)).one()
    assert response.status_code == 302 and response.headers["Location"] == f"/manage/import/{job.id}"
    assert queued == [("workers.tasks.read_import", job.id)]
    assert (job.status, job.rows, job.headers, job.upload) == ("reading", [], [], data)
    page = client.get(f"/manage/import/{job.id}?lang=en").get_data(as_text=True)
    assert "Reading the file…" in page and "hx-get" in page
    assert client.get(f"/manage/import/{job.id}/mapping").status_code == 302  # not read yet

    # A lost task (broker down): the page asks again once it is overdue, its polls never.
    job.created_at = job.created_at - timedelta(minutes=2)
    db.session.commit()
    client.get(f"/manage/import/{job.id}/progress")
    assert len(queued) == 1
    client.get(f"/manage/import/{job.id}")
    assert queued == [("workers.tasks.read_import", job.id)] * 2

    importer.read(job.id)  # the task
    db.session.expire_all()
    job = db.session.get(ImportJob, job.id)
    assert (job.status, job.rows, job.upload) == ("uploaded", [["刘先生", "13391219793"]], None)
    poll = client.get(f"/manage/import/{job.id}/progress")
    assert poll.headers["HX-Redirect"] == f"/manage/import/{job.id}/mapping"
    importer.read(job.id)  # a redelivery changes nothing
    assert db.session.get(ImportJob, job.id).rows == [["刘先生", "13391219793"]]

    # A file that cannot be read is said so on the job's page, whose polling stops.
    bad = client.post("/manage/import/", data={"file": (io.BytesIO(b"PK junk"), "b.xlsx")},
                      content_type="multipart/form-data")
    bad_id = int(bad.headers["Location"].rsplit("/", 1)[1])
    importer.read(bad_id)
    page = client.get(f"/manage/import/{bad_id}/progress?lang=en").get_data(as_text=True)
    assert "The Excel file cannot be read." in page and "hx-get" not in page


def test_the_dry_run_runs_in_the_task_and_the_page_polls_for_it(client, auth, boss, monkeypatch):
    from crm.extensions import db
    job = importer.create_job("a.csv", "联系人,手机\n刘先生,13391219793\n,13391219794\n".encode(), boss)
    queued = []
    monkeypatch.setattr(importer, "enqueue", lambda *args: queued.append(args) or True)
    auth.login("boss@example.com")
    assert client.post(f"/manage/import/{job.id}/mapping",
                       data={"col_contact_name": 0, "col_mobile": 1, "duplicates": "skip",
                             "route": "y"}).status_code == 302
    page = client.get(f"/manage/import/{job.id}/dry-run?lang=en").get_data(as_text=True)
    assert "Checking 2 rows…" in page and "Import 1 rows" not in page
    assert queued == [("workers.tasks.dry_run_import", job.id, "en")]
    poll = client.get(f"/manage/import/{job.id}/dry-run/result?lang=en").get_data(as_text=True)
    assert "hx-get" in poll and len(queued) == 1  # a poll asks for nothing

    importer.run_dry_run(job.id, "en")  # the task
    db.session.expire_all()
    poll = client.get(f"/manage/import/{job.id}/dry-run/result?lang=en").get_data(as_text=True)
    assert "1 of 2 rows can be imported; 1 have errors" in poll and "hx-get" not in poll
    assert "Please tell us who to contact." in poll
    # Another language or another mapping is another dry run.
    client.get(f"/manage/import/{job.id}/dry-run?lang=zh_CN")
    assert queued[-1] == ("workers.tasks.dry_run_import", job.id, "zh_CN")
    assert db.session.scalars(select(Lead)).all() == []  # a dry run writes nothing
