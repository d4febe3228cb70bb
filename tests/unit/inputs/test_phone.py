import pytest

from crm.inputs.phone import PhoneError, parse_mobile

VALID = [
    # typed                        e164              note      prefers WeChat
    ("13391219793",                "+8613391219793", "",       False),
    ("133 9121 9793",              "+8613391219793", "",       False),
    ("133-9121-9793",              "+8613391219793", "",       False),
    ("+86 133 9121 9793",          "+8613391219793", "",       False),
    ("+86-13391219793",            "+8613391219793", "",       False),
    ("0086 13391219793",           "+8613391219793", "",       False),
    ("8613391219793",              "+8613391219793", "",       False),
    ("１３３９１２１９７９３",       "+8613391219793", "",       False),  # full-width digits
    ("＋８６ １３３９１２１９７９３", "+8613391219793", "",       False),
    ("  13391219793\u200b ",       "+8613391219793", "",       False),  # zero-width space
    ("13391219793 仅微信",          "+8613391219793", "仅微信",  True),
    ("13391219793（微信同号）",      "+8613391219793", "(微信同号)", True),
    ("13391219793 下午方便",        "+8613391219793", "下午方便", False),
    ("19912345678",                "+8619912345678", "",       False),
    ("(+86)13391219793",           "+8613391219793", "",       False),
    ("0086-133-9121-9793",         "+8613391219793", "",       False),
    ("133.9121.9793",              "+8613391219793", "",       False),
    ("１３３－９１２１－９７９３",     "+8613391219793", "",       False),  # full-width dashes
    ("+86 133 9121 9793 仅微信",    "+8613391219793", "仅微信",  True),
    ("１３３９１２１９７９３\u3000仅微信", "+8613391219793", "仅微信", True),  # ideographic space
    ("13391219793（仅微信）",        "+8613391219793", "(仅微信)", True),
    ("133 9121 9793 微信同号",      "+8613391219793", "微信同号", True),
    ("13391219793 VX同号",          "+8613391219793", "VX同号",  True),
    ("13391219793 wx",             "+8613391219793", "wx",     True),
    ("13391219793\u200b仅微信",     "+8613391219793", "仅微信",  True),
]


@pytest.mark.parametrize("typed,e164,note,wechat", VALID)
def test_accepts_what_a_person_clearly_meant(typed, e164, note, wechat):
    mobile = parse_mobile(typed)
    assert mobile.e164 == e164
    assert mobile.note == note
    assert mobile.prefers_wechat is wechat
    assert mobile.display.replace(" ", "") == e164[3:]


REFUSED = [
    ("",                                    "empty"),
    ("   ",                                 "empty"),
    ("400 0123 021",                        "hotline"),   # DOMAIN.md examples
    ("400-0123-021",                        "hotline"),
    ("800-820-8820",                        "hotline"),
    ("021-57881234",                        "landline"),
    ("0572 6021234",                        "landline"),
    ("133912197931339121979413391219795",   "several"),   # 33 digits run together
    ("13391219793 / 13800138000",           "several"),
    ("13391219793，13800138000",             "several"),
    ("1339121979",                          "invalid"),   # 10 digits
    ("12391219793",                         "invalid"),   # 12x is not a mobile prefix
    ("abc",                                 "invalid"),
    ("+1 415 555 0100",                     "foreign"),
    ("+852 9123 4567",                      "foreign"),
    ("800 820 8820",                        "hotline"),
    ("021-5788 1234",                       "landline"),
    ("13391219793 或 13800138000",           "several"),
    ("13391219793 13800138000",             "several"),   # two numbers, a space between
    ("1339121979313800138000",              "several"),   # two run together
    ("4000123021 13391219793",              "several"),   # hotline and mobile together
    ("0572-6021234 13391219793",            "several"),
    ("133 9121 9793 9",                     "invalid"),   # 12 digits
    ("10086",                               "invalid"),
    ("tel:13391219793",                     "invalid"),
]


@pytest.mark.parametrize("typed,code", REFUSED)
def test_refuses_with_a_reason(typed, code):
    with pytest.raises(PhoneError) as caught:
        parse_mobile(typed)
    assert caught.value.code == code
    assert str(caught.value.message)  # a message for the person, not just a code


def test_unallocated_range_is_refused():
    # 140 is reserved for IoT data cards, not handed out as a personal mobile.
    with pytest.raises(PhoneError):
        parse_mobile("14012345678")
