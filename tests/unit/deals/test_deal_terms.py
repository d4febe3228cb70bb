"""Every price unit of the trade to the total contract value in 万元 (docs/deals.md has the
worked figures): the hand-computed cases first, then properties over classes of input."""
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm.inputs import deal_terms as t


@pytest.mark.parametrize("price, unit, area, months, free, expected", [
    # 0.8 元/㎡/天 × 2,000 ㎡ × 365/12 days × 36 months / 10,000 (the figure)
    ("0.8", "yuan_sqm_day", "2000", 36, None, "175.2000"),
    # the same with 3 rent-free months: 33 paid months
    ("0.8", "yuan_sqm_day", "2000", 36, "3", "160.6000"),
    # 35 元/㎡/月 × 500 ㎡ × 24 months / 10,000
    ("35", "yuan_sqm_month", "500", 24, None, "42.0000"),
    # 120 万元/年 for 60 months, 6 rent-free: 120 × 54 / 12
    ("120", "wan_year", None, 60, "6", "540.0000"),
    # a sale: the total as given
    ("3800", "wan_total", "5000", None, None, "3800.0000"),
    # land: 45 万元/亩 on 30 亩 (20,000.1 ㎡) = 1,350 万元
    ("45", "wan_mu", "20000.10", None, None, "1350.0000"),
    # half a month free
    ("1", "yuan_sqm_day", "1000", 12, "0.5", "34.9792"),
])
def test_contract_value_of_every_unit(price, unit, area, months, free, expected):
    value = t.contract_value_wan(D(price), unit, D(area) if area else None, months,
                                 D(free) if free else None)
    assert value == D(expected)


@pytest.mark.parametrize("kind, rate, expected", [
    ("amount", "12.5", "12.5000"),
    # 10 % of the first year's rent: 0.8 × 2,000 × 365 / 10,000 = 58.4 万元 → 5.84
    ("pct_first_year", "10", "5.8400"),
    # one month's rent: 58.4 / 12
    ("months_rent", "1", "4.8667"),
])
def test_commission_of_a_lease(kind, rate, expected):
    value = t.contract_value_wan(D("0.8"), "yuan_sqm_day", D(2000), 36)
    assert t.commission_wan(kind, D(rate), D("0.8"), "yuan_sqm_day", D(2000), value) == D(expected)


def test_commission_of_a_sale_is_a_percent_of_the_price_and_never_months():
    assert t.commission_wan("pct_first_year", D(2), D(3800), "wan_total", None, D(3800)) == D(76)
    with pytest.raises(t.TermsError):
        t.commission_wan("months_rent", D(1), D(3800), "wan_total", None, D(3800))


def test_tax_per_mu():
    # 300 万元 a year on 30 亩 (20,000.1 ㎡): 10 万元/亩
    assert t.tax_per_mu_wan(D(300), D("20000.10")) == D("10.0000")
    assert t.tax_per_mu_wan(None, D(100)) is None
    assert t.tax_per_mu_wan(D(1), None) is None


@pytest.mark.parametrize("price, unit, area, months, free", [
    ("0.8", "yuan_sqm_day", None, 36, None),      # a per-㎡ price without an area
    ("0.8", "yuan_sqm_day", "2000", None, None),  # a rent without a term
    ("0.8", "yuan_sqm_day", "2000", 12, "13"),    # more free months than the term
    ("-1", "wan_total", None, None, None),        # a negative price
    ("45", "wan_mu", None, None, None),           # a price per 亩 without the area
    ("1", "per_fortnight", "1", 1, None),         # no such unit
])
def test_terms_that_give_no_value_are_refused_not_guessed(price, unit, area, months, free):
    with pytest.raises(t.TermsError):
        t.contract_value_wan(D(price), unit, D(area) if area else None, months,
                             D(free) if free else None)


prices = st.decimals(min_value=D("0.01"), max_value=D(100000), places=2)
areas = st.decimals(min_value=D(1), max_value=D(10_000_000), places=2)
terms = st.integers(min_value=1, max_value=600)


@given(prices, areas, terms)
def test_a_day_rent_is_the_same_lease_as_its_month_rent(price, area, months):
    """A month is 365/12 days: a day price × 365/12 as a month price gives the same value."""
    by_day = t.contract_value_wan(price, "yuan_sqm_day", area, months)
    by_month = t.contract_value_wan(price * t.DAYS_PER_MONTH, "yuan_sqm_month", area, months)
    assert abs(by_day - by_month) <= D("0.0001")


@given(prices, areas, terms, st.integers(min_value=0, max_value=600))
def test_free_months_never_raise_the_value_and_value_grows_with_term(price, area, months, free):
    free = min(free, months)
    full = t.contract_value_wan(price, "yuan_sqm_day", area, months)
    assert t.contract_value_wan(price, "yuan_sqm_day", area, months, D(free)) <= full
    assert t.contract_value_wan(price, "yuan_sqm_day", area, months + 1) >= full


@given(st.decimals(min_value=D("0.01"), max_value=D(10000), places=2), areas)
def test_land_per_mu_times_mu_is_the_total(price, area):
    total = t.contract_value_wan(price, "wan_mu", area)
    assert abs(total - price * area / D("666.67")) <= D("0.0001")
