"""The rules language over non-enterprise subjects (projects, region releases): validation and evaluation."""

import pytest

from industrybrain.rules.language import RuleSyntaxError, Type
from industrybrain.rules.subjects import Catalogue, SubjectFeature

CAT = Catalogue("thing", "测试对象", [
    SubjectFeature("days_overdue", "超期工作日", "天"),
    SubjectFeature("rate", "完成率", "%"),
    SubjectFeature("stage", "阶段", type=Type.TEXT),
])


def test_condition_evaluates_with_three_valued_logic():
    rule = CAT.condition("days_overdue > 5 AND stage IN ('signed', 'land')")
    assert CAT.holds(rule, {"days_overdue": 6, "stage": "land"}) is True
    assert CAT.holds(rule, {"days_overdue": 5, "stage": "land"}) is False
    assert CAT.holds(rule, {"days_overdue": None, "stage": "land"}) is None
    assert CAT.holds(rule, {"days_overdue": None, "stage": "built"}) is False


def test_division_is_real_and_values_used_are_recorded():
    rule = CAT.condition("days_overdue / 4 = 1.25")
    assert CAT.holds(rule, {"days_overdue": 5}) is True
    assert CAT.values_used(rule, {"days_overdue": 5, "rate": 1}) == {"days_overdue": 5}


def test_unknown_feature_and_sql_are_refused_with_position():
    with pytest.raises(RuleSyntaxError) as err:
        CAT.condition("days_late > 1")
    assert "days_late" in str(err.value) and "第 1 行" in str(err.value)
    assert CAT.problems("(SELECT 1) > 0")
    assert CAT.problems("rate + 1") and "逻辑值" in CAT.problems("rate + 1")[0]
    assert CAT.problems("rate > 1") == []


def test_duplicate_feature_is_a_programming_error():
    with pytest.raises(ValueError):
        Catalogue("x", "x", [SubjectFeature("a", "a"), SubjectFeature("a", "b")])
