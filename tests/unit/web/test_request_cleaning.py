"""One request-wide text cleaner (crm.web.cleaning): NUL, control characters and lone
surrogates never reach a view, a form, OpenCC or the database; the CLI reads bytes."""
import json

import pytest
from flask import request

from crm.inputs.text import decode_text, scrub, scrub_json
from tests.factories import LeadFactory, UserFactory, make_site
from tests.unit.intake.test_parse_message import MESSAGE


@pytest.mark.parametrize("raw, clean", [
    ("a\x00b", "ab"), ("x\x01\x1f\x7f\x85y", "xy"), ("line\r\nnext\ttab", "line\r\nnext\ttab"),
    ("\ud800lone", "\ufffdlone"), ("pair 😀 中文", "pair 😀 中文"), ("", "")])
def test_scrub(raw, clean):
    assert scrub(raw) == clean


def test_scrub_json_reaches_every_string_and_key():
    assert scrub_json({"a\x00": ["b\x00", {"c": "\udfff"}], "n": 1, "t": True, "z": None}) == \
        {"a": ["b", {"c": "\ufffd"}], "n": 1, "t": True, "z": None}


def test_args_form_json_and_headers_are_scrubbed_before_any_view(app):
    seen = {}

    @app.post("/_probe")
    def _probe():
        seen.update(arg=request.args.get("q"), args=request.args.getlist("q"),
                    keys=list(request.args), form=request.form.get("f"),
                    json=request.get_json(silent=True), header=request.headers.get("X-Probe"),
                    headers=[v for k, v in request.headers if k == "X-Probe"],
                    values=request.values.get("q"))
        return "ok"

    client = app.test_client()
    client.post("/_probe?q=a%00b&q=%01c&k%00ey=1", data={"f": "x\x00y\nz"},
                headers={"X-Probe": "h\x01i"})
    assert seen["arg"] == "ab" and seen["args"] == ["ab", "c"] and "key" in seen["keys"]
    assert seen["form"] == "xy\nz" and seen["values"] == "ab"
    assert seen["header"] == "hi" and seen["headers"] == ["hi"]
    client.post("/_probe", data='{"t": "a\\u0000b", "d": [{"s": "\\ud800"}]}',
                content_type="application/json")
    assert seen["json"] == {"t": "ab", "d": [{"s": "\ufffd"}]}
    deep = "[" * 100000 + "]" * 100000
    assert client.post("/_probe", data=deep, content_type="application/json").status_code == 200
    assert seen["json"] is None


@pytest.mark.parametrize("path", ["/r/abc%00", "/r/abc%01", "/calendar/x%00.ics",
                                  "/agent/leads/1%00"])
def test_a_control_character_in_the_path_is_a_404(client, db, path):
    assert client.get(path).status_code == 404


def test_nul_in_query_parameters_is_no_500(client, auth, db):
    site, _key = make_site()
    admin = UserFactory(role="admin", email="root@example.com")
    lead = LeadFactory(assigned_to=admin)
    db.session.commit()
    assert client.get("/listings/?property_type=%00").status_code < 500
    assert client.get("/embed/inquiry?site=%00").status_code < 500
    auth.login("root@example.com")
    for path in (f"/agent/leads/{lead.id}?listing_q=%00", "/admin/audit?entity=%00&action=%00",
                 "/manage/routing/preview?region=%00", "/agent/leads?q=%00&source=%00"):
        assert client.get(path).status_code < 500, path


def test_a_lone_surrogate_in_the_parse_api_is_read_not_a_500(client, db):
    _site, key = make_site()
    body = '{"text": "\\ud800' + json.dumps(MESSAGE)[1:-1] + '"}'
    answer = client.post("/api/v1/parse", data=body.encode(), content_type="application/json",
                         headers={"X-Api-Key": key})
    assert answer.status_code == 200
    assert answer.get_json()["fields"]["mobile"] == "13912345678"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "gb18030", "gbk"])
def test_cli_parse_message_reads_each_encoding(runner, encoding):
    result = runner.invoke(args=["crm", "parse-message"], input=MESSAGE.encode(encoding))
    assert result.exit_code == 0, result.output
    fields = json.loads(result.output)
    assert fields["company"] == "苏州某某精密机械有限公司" and fields["mobile"] == "13912345678"


def test_decode_text():
    assert decode_text("厂房\x00".encode("gb18030")) == "厂房"
    assert decode_text("厂房".encode("utf-16-be").join([b"\xfe\xff", b""])) == "厂房"
    assert decode_text(b"\xff\xfe" + "仓库".encode("utf-16-le")) == "仓库"
    assert decode_text(b"\xef\xbb\xbfok") == "ok"


@pytest.mark.parametrize("encoding", ["gb18030", "utf-16", "utf-8-sig"])
def test_cli_parse_notice_reads_a_notice_saved_on_chinese_windows(app, runner, encoding):
    from tests.unit.workdays.test_notice import NOTICES
    result = runner.invoke(args=["crm", "calendar", "parse-notice", "--year", "2026"],
                           input=(NOTICES / "2026.txt").read_text().encode(encoding))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert {"date": "2026-02-21", "kind": "holiday", "name": "春节"} in lines
