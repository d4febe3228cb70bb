"""Inputs an outside fuzzer and a first real user sent that answered 500 (issue: right
numbers, no 500s). Each answers with a clear message now, and keeps what was typed."""
import io

import pytest
from sqlalchemy import select

from crm.models import Lead
from tests.factories import LeadFactory, TeamFactory, UserFactory, make_site


@pytest.fixture
def manager(db):
    team = TeamFactory()
    boss = UserFactory(team=team, role="manager", email="boss@example.com")
    LeadFactory(team=team, assigned_to=UserFactory(team=team), contact_name="刘先生")
    db.session.commit()
    return boss


def test_queue_csv_export_of_every_lead_streams_its_rows(client, auth, manager):
    auth.login("boss@example.com")
    response = client.post("/agent/leads/export.csv?tab=all", buffered=True)
    assert response.status_code == 200
    assert "刘先生" in response.get_data().decode("utf-8-sig")


@pytest.mark.parametrize("path", ["/inquiry", "/embed/inquiry"])
@pytest.mark.parametrize("field", ["contact_name", "company", "message", "email", "listing_id",
                                   "page_url"])
def test_a_file_where_text_belongs_is_refused_with_the_form(client, db, path, field):
    if path == "/embed/inquiry":
        site, _key = make_site()
        path += f"?site={site.public_key}&lang=en"
    else:
        path += "?lang=en"
    data = {"contact_name": "王经理", "mobile": "13912345678", "consent": "y",
            field: (io.BytesIO(b"GIF89a"), "x.gif")}
    response = client.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code in (400, 422)
    html = response.get_data(as_text=True)
    assert 'name="mobile"' in html and "13912345678" in html  # the form, with what was typed


@pytest.mark.parametrize("query", ["to=9999-12-31", "from=0001-01-01", "from=0001-01-01&to=9999-12-31",
                                   "team=99999999999999999999", "agent=99999999999999999999",
                                   "month=9999-12"])
@pytest.mark.parametrize("path", ["/reports/", "/reports/funnel", "/reports/ranking",
                                  "/reports/funnel/export.csv", "/reports/ranking/export.xlsx"])
def test_far_dates_and_huge_ids_are_a_bad_filter_not_a_500(client, auth, db, path, query):
    UserFactory(role="admin", email="root@example.com")
    db.session.commit()
    auth.login("root@example.com")
    response = client.open(f"{path}?{query}&lang=en",
                           method="POST" if "/export." in path else "GET")
    assert response.status_code == 200


def test_far_dates_are_explained_next_to_their_field(client, auth, db):
    UserFactory(role="admin", email="root@example.com")
    db.session.commit()
    auth.login("root@example.com")
    html = client.get("/reports/?to=9999-12-31&lang=en").get_data(as_text=True)
    assert 'id="to-error"' in html and "2000" in html


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_wrong_methods_on_the_api_say_which_are_allowed(client, db, method):
    response = client.open("/api/v1/inquiries", method=method)
    assert response.status_code == 405
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert "POST" in allowed and method not in allowed
    assert response.is_json and "POST" in response.get_json()["error"]


def test_long_numbers_and_texts_are_refused_not_cut(client, db):
    """"1" + 38 commas + "0000" was cut to 40 characters and stored as 10; a 2,500-character
    message was cut to 2,000. Neither is cut now: the message is refused with the limit next
    to the field; the figure, never a refusal on the prospect's form, is kept as typed."""
    figure = "1" + "," * 38 + "0000"
    data = {"contact_name": "王经理", "mobile": "13912345678", "consent": "y",
            "area_min": figure, "message": "厂" * 2500}
    html = client.post("/inquiry?lang=en", data=data).get_data(as_text=True)
    assert 'id="area_min-error">' not in html and figure in html
    assert 'id="message-error">Please keep this under 2000 characters' in html
    assert client.post("/inquiry", data={**data, "message": ""}).status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert lead.area_min_sqm is None and f"最小面积: {figure}" in lead.message
