"""The expression language: what it refuses (with positions), and what it means on every database."""

import datetime

import pytest
import sqlglot

from industrybrain.rules.compiler import compile_expression
from industrybrain.rules.features import FEATURES, NAMESPACE, check_catalogue
from industrybrain.rules.language import RuleSyntaxError, Type, parse
from tests.rules.util import both, sql_value

N = {"x": Type.NUMBER, "y": Type.NUMBER, "b": Type.BOOL, "t": Type.TEXT, "d": Type.DATE}


def refused(text: str, names=None) -> RuleSyntaxError:
    with pytest.raises(RuleSyntaxError) as info:
        parse(text, names if names is not None else N)
    return info.value


# -- refusals ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "message", "line", "col"), [
    ("x > 0; DROP TABLE registry_enterprise", "只能写一个表达式", 1, 6),
    ("x IN (SELECT id FROM registry_enterprise)", "子查询", 1, 7),
    ("(SELECT 1) > x", "子查询", 1, 2),
    ("x > 1 AND foo(y) > 0", "未知函数：foo", 1, 11),
    ("revenue > 1", "未知字段：revenue", 1, 1),
    ("x > 1 AND\n  zz < 3", "未知字段：zz", 2, 3),
    ('"x" > 1', "不要加引号", 1, 1),
    ("e.x > 1", "不能带表名", 1, 1),
    ("x > :p", "参数占位符", 1, 5),
    ("x > ?", "参数占位符", 1, 5),
    ("x > @p", "参数", 1, 5),
    ("t || 'a' = 'b'", "拼接", 1, 3),
    ("x % 2 = 1", "取余", 1, 3),
    ("x > NULL", "不能直接使用 NULL", 1, 5),
    ("x > 1 -- comment", "注释", 1, 7),
    ("x > 1 /* c */", "注释", 1, 7),
    ("CAST(x AS INT) > 1", "CAST", 1, 1),
    ("t LIKE '3301%'", "LIKE", 1, 3),
    ("MAX(x) > 1", "MAX 需要两个或更多参数", 1, 1),
    ("x >", "表达式不完整", 1, 3),
    ("(x > 1", "右括号", 1, 1),
    ("", "表达式为空", 1, 1),
])
def test_refusals_point_at_the_position(text, message, line, col):
    err = refused(text)
    problem = err.problems[0]
    assert message in problem.message, str(err)
    assert (problem.line, problem.col) == (line, col) or text in ("x >", "(x > 1"), (problem, str(err))
    rendered = str(err)
    assert "第" in rendered and "^" in rendered


@pytest.mark.parametrize(("text", "message"), [
    ("x > 't'", "两边类型不同"),
    ("t > 'a'", "只能用 = 或 <> 比较"),
    ("b > FALSE", "只能用 = 或 <> 比较"),
    ("x + b > 1", "需要数值"),
    ("x AND b", "需要逻辑值"),
    ("NOT x", "需要逻辑值"),
    ("CASE WHEN b THEN 1 ELSE 'a' END = 1", "类型应一致"),
    ("CASE x WHEN 1 THEN 2 END = 2", "CASE WHEN"),
    ("x IN (1, 'a')", "IN 列表的类型"),
    ("COALESCE(x) > 1", "至少需要两个参数"),
    ("ROUND(x, y) > 1", "小数位数"),
    ("ROUND(x, 9) > 1", "小数位数"),
    ("d > '2020-01-01'", "两边类型不同"),
    ("d > DATE '2020-13-01'", "日期常量格式"),
    ("x BETWEEN 't' AND 'u'", "BETWEEN"),
])
def test_type_errors(text, message):
    err = refused(text)
    assert any(message in p.message for p in err.problems), str(err)


def test_all_problems_are_reported_not_just_the_first():
    err = refused("aa > 1 AND bb > 2 AND foo(x)")
    assert len(err.problems) == 3


def test_expected_type_is_checked():
    with pytest.raises(RuleSyntaxError, match="结果应为逻辑值"):
        parse("x + 1", N, expect=Type.BOOL)


def test_unknown_field_suggests_close_names():
    err = refused("rd_ratio >= 3", NAMESPACE)
    assert "rd_ratio_last_year" in err.problems[0].message


def test_caret_under_wide_chinese_text():
    err = refused("x > 1 AND 研发 > 2")
    lines = str(err).splitlines()
    assert lines[-1].index("^") == 4 + len("x > 1 AND ")


def test_catalogue_is_consistent():
    check_catalogue()
    for code, feature in FEATURES.items():
        assert feature.label and feature.type == feature.expression.type, code


# -- meaning, pinned on the configured database and in Python -------------------------------------

@pytest.mark.django_db
class TestSemantics:
    def test_division_is_real_division(self):
        assert sql_value("7 / 2") == 3.5
        assert sql_value("x / y", N, {"x": 7, "y": 2}) == 3.5

    def test_division_by_zero_is_unknown(self):
        assert sql_value("x / y", N, {"x": 7, "y": 0}) is None
        assert sql_value("x / y > 1", N, {"x": 7, "y": 0}) is None

    def test_comparison_with_missing_value_is_unknown(self):
        assert sql_value("x >= 3", N, {"x": None}) is None
        assert sql_value("NOT (x >= 3)", N, {"x": None}) is None

    def test_three_valued_and_or(self):
        env = {"x": None, "y": 1}
        assert sql_value("x > 0 AND y > 5", N, env) is False
        assert sql_value("x > 0 AND y > 0", N, env) is None
        assert sql_value("x > 0 OR y > 0", N, env) is True
        assert sql_value("x > 0 OR y > 5", N, env) is None

    def test_case_with_unknown_test_is_unknown(self):
        assert sql_value("CASE WHEN x > 1 THEN 1 ELSE 0 END", N, {"x": None}) is None
        assert sql_value("CASE WHEN x IS NULL THEN 0 ELSE x END", N, {"x": None}) == 0
        assert sql_value("CASE WHEN x > 1 THEN 1 END", N, {"x": 0}) is None

    def test_coalesce_gives_a_default(self):
        assert sql_value("COALESCE(x, 5)", N, {"x": None}) == 5
        assert sql_value("COALESCE(x > 1, FALSE)", N, {"x": None}) is False

    def test_least_greatest_min_max(self):
        assert sql_value("LEAST(x, y, 3)", N, {"x": 5, "y": 4}) == 3
        assert sql_value("MAX(x, y)", N, {"x": 5, "y": 4}) == 5
        assert sql_value("LEAST(x, y)", N, {"x": None, "y": 4}) is None  # PostgreSQL alone would say 4

    def test_round_is_half_up_on_every_database(self):
        assert sql_value("ROUND(2.5)") == 3
        assert sql_value("ROUND(3.5)") == 4
        assert sql_value("ROUND(-2.5)") == -2
        assert sql_value("ROUND(x, 1)", N, {"x": 0.25}) == 0.3
        assert sql_value("FLOOR(-1.5)") == -2 and sql_value("CEIL(1.2)") == 2 and sql_value("ABS(-3)") == 3

    def test_in_between_is_null(self):
        assert sql_value("x BETWEEN 1 AND 3", N, {"x": 3}) is True
        assert sql_value("x IN (1, 2)", N, {"x": None}) is None
        assert sql_value("t IN ('a', 'b')", N, {"t": "b"}) is True
        assert sql_value("x IS NULL", N, {"x": None}) is True
        assert sql_value("x IS NOT NULL", N, {"x": None}) is False

    def test_dates(self):
        env = {"d": datetime.date(2021, 7, 1)}
        assert sql_value("d >= DATE '2021-07-01'", N, env) is True
        assert sql_value("d < DATE '2021-07-01'", N, env) is False

    def test_exact_percent_edges(self):
        # 100 * 150 / 5000 is exactly 3 — the compiler multiplies before dividing, as the catalogue says
        got, _ = both("100 * x / y >= 3", N, {"x": 150, "y": 5000})
        assert got is True

    def test_literals_are_quoted_by_sqlglot_not_interpolated(self):
        expr = parse("t = 'O''Brien'", N)
        sql = compile_expression(expr, "postgres")
        assert "'O''Brien'" in sql
        assert sql_value("t = 'O''Brien'", N, {"t": "O'Brien"}) is True


@pytest.mark.parametrize("dialect", ["sqlite", "postgres", "spark", "trino"])
def test_every_feature_compiles_for_every_dialect(dialect):
    from sqlglot import exp

    from industrybrain.rules.compiler import compile_tree, render

    for feature in FEATURES.values():
        sql = render(compile_tree(feature.expression.tree, lambda n: exp.column(n)), dialect)
        read = {"sqlite": "sqlite", "postgres": "postgres"}.get(dialect, dialect)
        assert len(sqlglot.parse(sql, read=read)) == 1
