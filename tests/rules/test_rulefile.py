"""Rule-file validation: every problem, with its YAML line and column."""

import pytest

from industrybrain.rules.rulefile import RuleFileError, load_rule

GOOD = """\
id: demo_rule
name: 演示规则
version: "1"
valid_from: 2024-01-01
source: {document: 测试文件}
conditions:
  - {id: big, name: 营收, expr: revenue_last_year >= 1000}
scoring:
  pass_score: 5
  dimensions:
    - id: dim
      name: 维度
      max: 10
      min: 2
      indicators:
        - id: ind
          name: 指标
          max: 10
          value: rd_ratio_last_year
          brackets:
            - {from: 3, points: 10}
            - {to: 3, points: 0}
"""


def problems(text: str) -> list:
    with pytest.raises(RuleFileError) as info:
        load_rule(text)
    return info.value.problems


def test_good_file_builds_a_spec():
    spec = load_rule(GOOD)
    assert spec.id == "demo_rule" and spec.pass_expr.text == "conditions_all AND (scoring_ok)"
    assert spec.features == {"revenue_last_year", "rd_ratio_last_year"}
    assert spec.indicators[0].min_points == 0 and spec.indicators[0].max_points == 10


@pytest.mark.parametrize(("change", "message", "line"), [
    (("name: 演示规则", "name: 演示规则\ncolour: red"), "未知的键：colour", 3),
    (("id: demo_rule", "id: Demo Rule"), "id 必填", 1),
    (("source: {document: 测试文件}", "source: {article: 第一条}"), "source 必填", 5),
    (("valid_from: 2024-01-01", "valid_from: soon"), "valid_from 必填", 4),
    (("{id: big, name: 营收,", "{id: revenue_last_year, name: 营收,"), "冲突", 7),
    (("      max: 10\n      min: 2", "      max: 12\n      min: 2"), "不一致", 13),
    (("{from: 3, points: 10}", "{from: 3, points: 11}"), "超出 0–10", 21),
    (("{to: 3, points: 0}", "{to: 2, points: 0}"), "档位不连续", 21),
    (("expr: revenue_last_year >= 1000", "expr: revenue_last_year + 1000"), "结果应为逻辑值", 7),
    (("value: rd_ratio_last_year", "value: rd_ratio_last_year > 1"), "结果应为数值", 19),
    (("pass_score: 5", "pass_score: five"), "pass_score 应为数字", 9),
])
def test_problems_have_positions(change, message, line):
    found = problems(GOOD.replace(*change))
    assert any(message in p.message and p.line == line for p in found), [(p.line, p.message) for p in found]


def test_expression_errors_point_inside_the_yaml_line():
    text = GOOD.replace("expr: revenue_last_year >= 1000", "expr: revenue_last_yr >= 1000")
    (problem,) = problems(text)
    assert (problem.line, problem.col) == (7, text.splitlines()[6].index("revenue_last_yr") + 1)
    assert "^" in problem.detail and "revenue_last_year" in problem.message


def test_yaml_syntax_error():
    (problem,) = problems("id: [unclosed\n")
    assert "YAML 格式错误" in problem.message and problem.line >= 1


def test_manual_criteria_have_no_expression():
    text = GOOD.replace("- {id: big, name: 营收, expr: revenue_last_year >= 1000}",
                        "- {id: big, name: 营收, manual: true, expr: revenue_last_year >= 1000}")
    assert any("人工确认项" in p.message for p in problems(text))


def test_all_problems_reported_together():
    text = GOOD.replace("expr: revenue_last_year >= 1000", "expr: foo(1)").replace("points: 10}", "points: 12}")
    assert len(problems(text)) >= 2
