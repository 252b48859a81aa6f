from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from industrybrain.registry import sizing, uscc
from tests.factories import next_org_body


def test_valid_code_from_the_standard_example():
    assert uscc.validate("91350100M000100Y43") == "91350100M000100Y43"
    assert uscc.organisation_code_warning("91350100M000100Y43") is None


@pytest.mark.parametrize("code,message", [
    ("", "不能为空"),
    ("91350100M000100Y4", "应为18位"),
    ("91350100M000100Y44", "校验位错误"),
    ("91350100M0001O0Y43", "不允许的字符"),
])
def test_bad_codes_have_chinese_reasons(code, message):
    with pytest.raises(uscc.USCCError, match=message):
        uscc.validate(code)


def test_lowercase_and_spaces_are_normalized():
    assert uscc.validate(" 91350100m000100y43 ") == "91350100M000100Y43"


def test_organisation_code_digit_warning():
    good = uscc.make_uscc("330106", "MA27XY01")
    assert uscc.organisation_code_warning(good) is None
    # Change the organisation check character and recompute the USCC check digit: USCC-valid, org-invalid.
    from stdnum.cn import uscc as stdnum_uscc

    head = good[:16] + ("1" if good[16] != "1" else "2")
    bad = head + stdnum_uscc.calc_check_digit(head)
    assert uscc.validate(bad) == bad
    assert "校验位不符" in uscc.organisation_code_warning(bad)


@given(st.integers(min_value=0, max_value=5000))
def test_generated_codes_are_valid(_):
    code = uscc.make_uscc("330106", next_org_body())
    assert uscc.validate(code) == code
    assert uscc.organisation_code_warning(code) is None


# 工信部联企业〔2011〕300号 第四条（工业）: boundaries at the thresholds themselves.
@pytest.mark.parametrize("staff,revenue,expected", [
    (1000, 40000, "large"),
    (999, 40000, "medium"),
    (1000, Decimal("39999.99"), "medium"),
    (300, 2000, "medium"),
    (299, 2000, "small"),
    (300, Decimal("1999.99"), "small"),
    (20, 300, "small"),
    (19, 300, "micro"),
    (20, Decimal("299.99"), "micro"),
    (5000, 100, "micro"),
    (None, 100, ""),
    (10, None, ""),
])
def test_industrial_size_class(staff, revenue, expected):
    assert sizing.size_class(staff, revenue) == expected


@pytest.mark.parametrize("revenue,expected", [(2000, True), (Decimal("1999.99"), False), (None, False),
                                              (20000, True)])
def test_above_scale_threshold_is_20_million_yuan(revenue, expected):
    assert sizing.is_above_scale(revenue) is expected


@given(st.integers(0, 10_000), st.decimals(0, 10**6, places=2))
def test_size_class_is_monotone(staff, revenue):
    order = ["micro", "small", "medium", "large"]
    base = order.index(sizing.size_class(staff, revenue))
    assert order.index(sizing.size_class(staff + 1, revenue)) >= base
    assert order.index(sizing.size_class(staff, revenue + 1)) >= base
