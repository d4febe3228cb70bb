"""crm/regions: the national divisions, lookups, names and the picker's search."""
import pytest

from crm import parks, regions
from crm.regions import search


def test_codes_are_hierarchical_and_names_read_as_a_path():
    assert regions.full_name("330522") == "浙江 / 湖州 / 长兴县"
    assert regions.full_name("330522", "en") == "Zhejiang / Huzhou / Changxing"
    assert [r.code for r in regions.ancestors("330522")] == ["33", "3305", "330522"]
    assert [regions.depth(c) for c in ("33", "3305", "330522")] == [1, 2, 3]
    assert regions.within("330522", "33") and regions.within("330522", "3305")
    assert not regions.within("3305", "330522") and not regions.within("3205", "33")
    assert "330522" in [r.code for r in regions.children("3305")]
    assert regions.full_name("zz") == "" and not regions.is_valid("999999")


def test_a_municipality_has_no_statistical_middle_level():
    assert regions.full_name("310117") == "上海 / 松江区"
    assert regions.get("310117").parent == "31"
    assert regions.get("3101") is None and regions.canonical("3101") == "31"
    assert regions.full_name("500101") == "重庆 / 万州区"
    assert regions.full_name("419001") == "河南 / 济源市"   # 省直辖县级行政区划


def test_the_whole_country_is_there_and_loads_once():
    places = regions.all_regions()
    assert len([r for r in places.values() if r.depth == 1]) == 31
    assert len(places) > 3000
    assert regions.all_regions() is places


def test_old_dotted_codes_map_to_the_new_ones():
    assert regions.canonical("zj.huzhou.changxing") == "330522"
    assert regions.canonical("js.suzhou.sip") == "320576"
    assert regions.canonical("zj.atlantis") is None


@pytest.mark.parametrize("query, code", [
    ("ks", "320583"), ("kunshan", "320583"), ("昆山", "320583"), ("崑山", "320583"),
    ("jx", "3304"), ("嘉興", "3304"), ("jiaxing", "3304"),
    ("hfjk", "340177"), ("合肥经开区", "340177"), ("cx", "330522"), ("changxing", "330522"),
    ("nb", "3302"), ("330522", "330522"),
])
def test_search_by_characters_traditional_pinyin_and_initials(query, code):
    found = [r.code for r in search.search(query)]
    assert code in found[:12], (query, found)


def test_search_shows_an_exact_name_first():
    assert search.search("长兴")[0].code == "330522"
    assert search.search("嘉兴")[0].code == "3304"
    assert search.search("") == [] and search.search("zzzzqq") == []


def test_a_typed_name_means_a_place_only_when_it_is_one():
    assert regions.resolve("浙江 / 湖州 / 长兴县") == "330522"
    assert regions.resolve("Jiangsu / Suzhou / Kunshan") == "320583"
    assert regions.resolve("昆山") == "320583"
    assert regions.resolve("朝阳区") is None                 # 北京 and 长春 both have one
    assert regions.resolve("北京 / 朝阳区") == "110105"


def test_parks_join_the_tree_under_their_county(app):
    assert regions.get("310117P01") is None                 # not seeded yet
    parks.seed_defaults()
    assert regions.full_name("310117P01") == "上海 / 松江区 / G60科创走廊"
    assert regions.within("310117P01", "31") and regions.get("310117P01").depth == 4
    assert regions.full_name("31P01") == "上海 / 白茅岭农场"
    assert "310115P01" in [r.code for r in search.search("临港")]
    assert "310115P01" in [r.code for r in search.search("lg")]


@pytest.mark.parametrize("a, b, same", [
    (None, "330522", True), ("330522", "", True),            # an unknown place never splits
    ("33", "330522", True), ("3305", "330522", True),         # one contains the other
    ("330522", "330523", True),                               # 长兴 and 安吉: both 湖州
    ("310117", "310115", True), ("31", "310117", True),       # all 上海 is one city
    ("330522", "320583", False),                              # 长兴 vs 昆山
    ("3305", "3204", False), ("33", "32", False),
    ("zj.huzhou.changxing", "330522", True),                  # old codes are read too
])
def test_same_area(a, b, same):
    assert regions.same_area(a, b) is same
    assert regions.same_area(b, a) is same
