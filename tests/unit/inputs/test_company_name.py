"""crm/inputs/company.name_key: the one normaliser of company names (runtime and migration)."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm.inputs.company import name_key

# Names as people type them: Chinese characters a firm's 字号 and trade are made of.
_HAN = st.sampled_from("苏州湖州长兴昆山合肥平湖华东恒信达宏远鑫盛科技纺织机械电子新材料物流仓储")
_CORE = st.text(_HAN, min_size=2, max_size=10)
_FORMS = ["有限公司", "有限责任公司", "股份有限公司", "公司", ""]
_SPACES = st.sampled_from(["", " ", "\u3000", "  "])


@pytest.mark.parametrize("written, key", [
    ("苏州恒信科技有限公司", "苏州恒信科技"),
    ("蘇州恒信科技有限責任公司", "苏州恒信科技"),            # traditional characters
    ("苏州 恒信科技 股份有限公司", "苏州恒信科技"),
    ("恒信（苏州）科技有限公司", "恒信苏州科技"),             # bracket content stays
    ("恒信(苏州)科技有限公司", "恒信苏州科技"),
    ("ＡＢＣ　Ｔｒａｄｉｎｇ Co., Ltd.", "abctrading"),       # full-width, English form
    ("Ameco Ltd", "ameco"),                                 # "co" of the name stays
    ("湖州纺织厂", "湖州纺织厂"),                             # 厂 and 集团 identify a firm
    ("恒信集团有限公司", "恒信集团"),
    ("有限公司", ""), ("", ""), (None, ""), ("——", ""),
])
def test_written_forms(written, key):
    assert name_key(written) == key


@given(_CORE, st.sampled_from(_FORMS), st.sampled_from(_FORMS), _SPACES, _SPACES)
def test_one_firm_written_several_ways_has_one_key(core, form_a, form_b, sp_a, sp_b):
    a = sp_a + core + sp_b + form_a
    b = core[:1] + sp_b + core[1:] + form_b + sp_a
    assert name_key(a) == name_key(b) == name_key(core)


@given(_CORE, _CORE, st.sampled_from(_FORMS))
def test_two_firms_never_collide(core_a, core_b, form):
    """Different names stay apart: only spacing, width, script, punctuation and the legal
    form are ignored, never a character of the name itself."""
    if name_key(core_a) != name_key(core_b):
        assert name_key(core_a + form) != name_key(core_b + form)
        assert name_key(core_a + "集团" + form) != name_key(core_a + form)


@given(_CORE, st.sampled_from(_FORMS))
def test_full_width_and_punctuation_fold(core, form):
    noisy = "\uff08" + core + "\uff09\u3001" + form
    assert name_key(noisy) == name_key(core + form)


@given(st.text(max_size=40))
def test_any_text_gives_a_key_without_spaces(text):
    key = name_key(text)
    assert isinstance(key, str) and not any(ch.isspace() for ch in key)
