"""Issue 28: the message reader's misses on unseen messages, each with a line of its own
(also in tests/fixtures/messages.jsonl), and issue 27's quadratic area pattern."""
import re

import pytest

from crm.intake import message


def fields(text):
    return message.as_fields(message.read(text))


@pytest.mark.parametrize("text, code", [
    ("我们做工业机器人本体，想在佛山找3000平厂房，罗先生 13712345678", "equipment"),
    ("化妆品代工厂，要2000平洁净车间，广州白云，何小姐 13812345678", "cosmetics"),
    ("半导体设备零部件企业，在无锡找5000平厂房，周总 13912345678", "ic"),
    ("信创项目落地，需要1500平办公，合肥高新区，曹先生 13612345678", "xinchuang"),
    ("新材料公司，做碳纤维复合材料，需要10亩地，宁波，林总 13512345678", "materials"),
    # The industry said only in the company's name (missed before: the name's span is taken).
    ("深圳某某机器人科技有限公司，找厂房3000平，罗先生 13712345601", "equipment"),
    ("广州某某化妆品有限公司，需要2000平车间，何小姐 13812345678", "cosmetics"),
    ("无锡某某半导体有限公司想租厂房5000平", "ic"),
    ("合肥某某信创科技有限公司找办公1000平", "xinchuang"),
    ("宁波某某新材料股份有限公司要买地30亩", "materials"),
])
def test_industries(app, text, code):
    assert fields(text)["industry"] == code


@pytest.mark.parametrize("text", ["做电镀的，需环评，找厂房2000平", "要做环评的，厂房3000平",
                                  "厂房3000平，能办环评就行", "厂房要能办环评，3000平"])
def test_eia_said_several_ways(app, text):
    assert fields(text)["needs_eia"] is True


@pytest.mark.parametrize("text, deal", [
    ("想在嘉兴平湖租2000平左右单层厂房，王先生 13912345678", "rent"),
    ("打算在东莞租个小厂房做五金", "rent"),
    ("我们准备在成都买30亩工业用地", "buy"),
])
def test_rent_or_buy_inside_a_sentence(app, text, deal):
    assert fields(text)["deal_type"] == deal


@pytest.mark.parametrize("text, name", [
    ("找厂房3000平，联系人就是我，陈 13600001111", "陈"),
    ("你好我姓刘，要租仓库2000平，13700001111", "刘"),
    ("深圳宝安找厂房，李生 13800138000", "李生"),
    ("东莞长安仓库3000平，何生，电话13800138000", "何生"),
])
def test_contact_names_said_otherwise(app, text, name):
    assert fields(text)["contact_name"] == name


@pytest.mark.parametrize("text", ["生产加工，方生产线 13800138000", "做生物医药的，高生产效率"])
def test_sheng_is_a_title_only_standing_alone(app, text):
    assert "contact_name" not in fields(text)


@pytest.mark.parametrize("text", [
    "转发客户需求：汽配厂找3000平厂房，税收200万。——XX地产 张三 13900001111 微信zhangsan88",
    "客户要在昆山租5000平仓库，做跨境电商\n--\n昆山某某置业 王经理\n电话13962620000 微信wang_ks",
    "有客户找苏州工业园区厂房2000平，做医疗器械 苏州某某地产 李四 13800001234",
])
def test_a_brokers_signature_is_not_the_prospects_contact(app, text):
    got = fields(text)
    assert not {"mobile", "wechat", "contact_name", "company"} & set(got), got
    assert got.get("area_min")   # the need above the signature is still read


def test_the_prospects_own_number_before_a_signature_is_kept(app):
    got = fields("客户赵总 13512345678 找厂房3000平。——某某地产 张三 13900001111")
    assert got["mobile"] == "13512345678"


# Issue 27: `_AREA` was quadratic (5,000 spaces cost 1.2 s). The guard is structural: no
# unbounded whitespace or figure quantifier in the reader's patterns, and the reader never
# scans more than MAX_READ characters; bench/numbers_bench.py times hostile input.

def _patterns():
    # The patterns that start anywhere (at a figure, a space or a letter); place reading and
    # the building's requirements (which start at a word such as 层高) are read apart.
    names = ("_AREA", "_TAX", "_INVEST", "_EMAIL", "_MOBILE", "_WECHAT", "_NAMED", "_TITLED",
             "_SURNAME_ONLY", "_SPOKEN_MOBILE", "_SIGNATURE", "_BROKER_TAIL", "_USAGE")
    return [getattr(message, name) for name in names]


def test_every_quantifier_around_figures_and_spaces_is_bounded():
    for pattern in _patterns():
        assert not re.search(r"\\s[*+]|\\d[*+]|\](?:[*+])", pattern.pattern), pattern.pattern


@pytest.mark.parametrize("hostile", [
    "1" + " " * 100_000 + "平", " " * 100_000, "3" * 100_000 + "平",
    "约 " * 50_000, "1-" * 50_000 + "平", "税收" + " " * 100_000 + "1万",
])
def test_a_100_kb_hostile_message_is_read(app, hostile):
    found = message.read(hostile)
    assert all(f.end <= message.MAX_READ for f in found.values())
