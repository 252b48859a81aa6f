"""The rule expression language: parsed with sqlglot, checked against a whitelist and a type system.

Rule text is never executed or interpolated: it is parsed into a sqlglot AST, every node is checked
against `ALLOWED_NODES`, every name against the namespace the caller supplies (the feature catalogue, or
a rule's criteria and scores), and every operator against the operand types. Only a tree that passes is
handed to the compiler (SQL, any dialect) or to the reference evaluator (`pyeval`). Refusals are
collected, not just the first one, and each points at its line and column with a caret.

Types: number (IEEE double everywhere), bool (three-valued: true / false / unknown), text, date.
See docs/RULES.md for the reference.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

MAX_LENGTH = 4000
MAX_DEPTH = 60
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class Type(StrEnum):
    NUMBER = "number"
    BOOL = "bool"
    TEXT = "text"
    DATE = "date"


TYPE_LABELS = {Type.NUMBER: "数值", Type.BOOL: "逻辑值", Type.TEXT: "文本", Type.DATE: "日期"}

COMPARISONS: dict[type[exp.Expr], str] = {
    exp.EQ: "=", exp.NEQ: "<>", exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<=",
}
ARITHMETIC: dict[type[exp.Expr], str] = {exp.Add: "+", exp.Sub: "-", exp.Mul: "*", exp.Div: "/"}
# name shown to the user → sqlglot node; MIN/MAX with two or more arguments mean LEAST/GREATEST.
FUNCTIONS = {"ABS": exp.Abs, "ROUND": exp.Round, "FLOOR": exp.Floor, "CEIL": exp.Ceil,
             "COALESCE": exp.Coalesce, "LEAST": exp.Least, "GREATEST": exp.Greatest,
             "MIN": exp.Min, "MAX": exp.Max}
ALLOWED_NODES: tuple[type[exp.Expr], ...] = (
    *COMPARISONS, *ARITHMETIC, exp.And, exp.Or, exp.Not, exp.Paren, exp.Neg, exp.In, exp.Between,
    exp.Is, exp.Case, exp.If, exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null,
    exp.Cast, exp.DataType, *FUNCTIONS.values(),
)
FORBIDDEN_HINTS: dict[type[exp.Expr], str] = {
    exp.Select: "不允许子查询或 SELECT 语句", exp.Subquery: "不允许子查询", exp.Star: "不允许使用 *",
    exp.Placeholder: "不允许使用参数占位符", exp.Parameter: "不允许使用参数",
    exp.DPipe: "不允许字符串拼接 ||", exp.Mod: "不支持取余 %", exp.Like: "不支持 LIKE",
    exp.Anonymous: "未知函数", exp.Block: "只能写一个表达式，不能用分号连接多条语句",
}


@dataclass(frozen=True)
class Problem:
    """One refusal: a Chinese message, and where it is (1-based line and column in the expression)."""

    message: str
    line: int = 1
    col: int = 1

    def render(self, text: str, label: str = "") -> str:
        lines = text.splitlines() or [""]
        src = lines[min(self.line, len(lines)) - 1]
        where = f"{label} " if label else ""
        return (f"{where}第 {self.line} 行第 {self.col} 列：{self.message}\n"
                f"    {src}\n    {' ' * _display_width(src[: self.col - 1])}^")


def _display_width(s: str) -> int:
    """Width of a string in a terminal (CJK characters take two columns)."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in s)


class RuleSyntaxError(ValueError):
    def __init__(self, text: str, problems: list[Problem], label: str = ""):
        self.text, self.problems, self.label = text, problems, label
        super().__init__("\n".join(p.render(text, label) for p in problems))


@dataclass(frozen=True)
class Expression:
    """A validated expression: its text, its sqlglot tree, its type and the names it reads."""

    text: str
    tree: exp.Expr
    type: Type
    names: frozenset[str] = field(default_factory=frozenset)

    def __str__(self) -> str:
        return self.text


def parse(text: str, names: Mapping[str, Type], expect: Type | None = None, label: str = "") -> Expression:
    """Parse and validate `text` against the namespace `names`; raise RuleSyntaxError listing every problem."""
    if not isinstance(text, str) or not text.strip():
        raise RuleSyntaxError(str(text or ""), [Problem("表达式为空")], label)
    if len(text) > MAX_LENGTH:
        raise RuleSyntaxError(text[:80], [Problem(f"表达式过长（超过 {MAX_LENGTH} 个字符）")], label)
    try:
        trees = sqlglot.parse(text)
    except ParseError as err:
        info = err.errors[0] if err.errors else {}
        raise RuleSyntaxError(text, [Problem(f"语法错误：{_parse_message(info)}", info.get("line") or 1,
                                             max(1, (info.get("col") or 1) - len(info.get("highlight") or "") + 1))],
                              label) from None
    except TokenError as err:
        raise RuleSyntaxError(text, [Problem(f"无法识别的字符：{err}")], label) from None
    trees = [t for t in trees if t is not None]
    if len(trees) != 1:
        return _raise(text, "只能写一个表达式，不能用分号连接多条语句", text.find(";"), label)
    tree = trees[0]
    assert tree is not None
    for node in tree.walk():
        if node.comments:
            return _raise(text, "表达式中不支持注释（-- 或 /* */）", max(text.find("--"), text.find("/*")), label)
    checker = _Checker(text, names)
    result = checker.check(tree, 0)
    if not checker.problems and expect is not None and result is not None and result != expect:
        checker.problems.append(Problem(
            f"表达式的结果应为{TYPE_LABELS[expect]}，实际为{TYPE_LABELS[result]}", 1, 1))
    if checker.problems:
        raise RuleSyntaxError(text, checker.problems, label)
    assert result is not None
    return Expression(text, tree, result, frozenset(checker.used))


_PARSE_MESSAGES = (("Required keyword", "表达式不完整，缺少运算对象"), ("Expecting )", "缺少右括号 )"),
                   ("Expected END", "CASE 缺少 END"), ("Invalid expression", "无法识别的写法"),
                   ("Unexpected token", "无法识别的写法"))


def _parse_message(info: Mapping) -> str:
    raw = str(info.get("description") or "")
    desc = next((zh for en, zh in _PARSE_MESSAGES if en in raw), raw or "无法解析")
    hl = info.get("highlight")
    return f"{desc}（在“{hl}”处）" if hl else desc


def _raise(text: str, message: str, offset: int, label: str):
    line, col = _line_col(text, max(offset, 0))
    raise RuleSyntaxError(text, [Problem(message, line, col)], label)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


class _Checker:
    """Walks a sqlglot tree, checking node kinds, names and types; collects problems."""

    def __init__(self, text: str, names: Mapping[str, Type]):
        self.text, self.names = text, names
        self.problems: list[Problem] = []
        self.used: set[str] = set()

    # -- positions ---------------------------------------------------------------------------
    KEYWORDS: dict[type[exp.Expr], tuple[str, ...]] = {
        exp.Select: ("SELECT",), exp.Subquery: ("SELECT",), exp.Placeholder: (":", "?"), exp.Parameter: ("@", "$"),
        exp.DPipe: ("||",), exp.Mod: ("%",), exp.Star: ("*",), exp.Like: ("LIKE",), exp.Cast: ("CAST", "DATE"),
        exp.Null: ("NULL",), exp.Case: ("CASE",), exp.Min: ("MIN",), exp.Max: ("MAX",),
        exp.Coalesce: ("COALESCE",), exp.Round: ("ROUND",), exp.In: ("IN",), exp.Is: ("IS",),
        exp.Between: ("BETWEEN",), exp.Floor: ("FLOOR",), exp.Ceil: ("CEIL",),
    }

    def where(self, node: exp.Expr) -> tuple[int, int]:
        """Best position for a node: its own token when sqlglot recorded one, else a keyword of its kind,
        else the earliest recorded token inside it."""
        if isinstance(node, exp.Column):
            ident = node.args.get("table") or node.this
            meta = getattr(ident, "_meta", None) or {}
            if isinstance(meta.get("start"), int):
                return _line_col(self.text, meta["start"])
        meta = getattr(node, "_meta", None) or {}
        if isinstance(meta.get("start"), int):
            return _line_col(self.text, meta["start"])
        upper = self.text.upper()
        for needle in self.KEYWORDS.get(type(node), ()):
            offset = upper.find(needle)
            if offset >= 0:
                return _line_col(self.text, offset)
        starts = [m["start"] for sub in node.walk()
                  if isinstance((m := getattr(sub, "_meta", None) or {}).get("start"), int)]
        return _line_col(self.text, min(starts)) if starts else (1, 1)

    def fail(self, node: exp.Expr, message: str) -> None:
        line, col = self.where(node)
        self.problems.append(Problem(message, line, col))

    # -- the walk ----------------------------------------------------------------------------
    def check(self, node: exp.Expr, depth: int) -> Type | None:
        if depth > MAX_DEPTH:
            self.fail(node, "表达式嵌套过深")
            return None
        for bad, hint in FORBIDDEN_HINTS.items():
            if isinstance(node, bad):
                name = f"：{node.name}" if isinstance(node, exp.Anonymous) else ""
                allowed = "、".join(FUNCTIONS)
                extra = f"（可用函数：{allowed}）" if isinstance(node, exp.Anonymous) else ""
                self.fail(node, f"{hint}{name}{extra}")
                return None
        if not isinstance(node, ALLOWED_NODES):
            self.fail(node, f"不支持的写法：{node.sql()[:40]}")
            return None
        method = getattr(self, f"_{type(node).__name__.lower()}", None)
        if method is not None:
            return method(node, depth + 1)
        if type(node) in COMPARISONS:
            return self._comparison(node, depth + 1)
        if type(node) in ARITHMETIC:
            return self._arith(node, depth + 1)
        self.fail(node, f"不支持的写法：{node.sql()[:40]}")
        return None

    def sub(self, node: exp.Expr | None, depth: int) -> Type | None:
        if node is None:
            return None
        return self.check(node, depth)

    def need(self, node: exp.Expr, got: Type | None, want: Type, what: str) -> None:
        if got is not None and got != want:
            self.fail(node, f"{what}需要{TYPE_LABELS[want]}，这里是{TYPE_LABELS[got]}")

    def _column(self, node: exp.Column, depth: int) -> Type | None:
        ident = node.this
        if node.table or not isinstance(ident, exp.Identifier):
            self.fail(node, "字段名不能带表名或前缀")
            return None
        if ident.quoted:
            self.fail(node, "字段名不要加引号；文本常量请用单引号 '…'")
            return None
        name = ident.name.lower()
        if name not in self.names:
            close = _close_names(name, self.names)
            hint = f"；是否想写：{'、'.join(close)}" if close else ""
            self.fail(node, f"未知字段：{ident.name}{hint}")
            return None
        self.used.add(name)
        return self.names[name]

    def _literal(self, node: exp.Literal, depth: int) -> Type | None:
        if node.is_string:
            if "%" in node.this:
                self.fail(node, "文本常量中不允许出现 %")
            return Type.TEXT
        try:
            float(node.this)
        except ValueError:
            self.fail(node, f"无法识别的数字：{node.this}")
        return Type.NUMBER

    def _boolean(self, node: exp.Boolean, depth: int) -> Type:
        return Type.BOOL

    def _null(self, node: exp.Null, depth: int) -> Type | None:
        self.fail(node, "不能直接使用 NULL；判断缺失请写 字段 IS NULL，给缺失值默认值请用 COALESCE")
        return None

    def _paren(self, node: exp.Paren, depth: int) -> Type | None:
        return self.sub(node.this, depth)

    def _cast(self, node: exp.Cast, depth: int) -> Type | None:
        value = node.this
        if (isinstance(value, exp.Literal) and value.is_string and node.to.is_type(exp.DataType.Type.DATE)):
            try:
                datetime.date.fromisoformat(value.this)
            except ValueError:
                self.fail(node, f"日期常量格式应为 DATE 'YYYY-MM-DD'：{value.this}")
            return Type.DATE
        self.fail(node, "不支持 CAST 类型转换（日期常量请写 DATE 'YYYY-MM-DD'）")
        return None

    def _comparison(self, node: exp.Expr, depth: int) -> Type | None:
        left, right = self.sub(node.this, depth), self.sub(node.expression, depth)
        if left is None or right is None:
            return Type.BOOL
        op = COMPARISONS[type(node)]
        if left != right:
            self.fail(node, f"比较 {op} 两边类型不同：{TYPE_LABELS[left]} 与 {TYPE_LABELS[right]}")
        elif left in (Type.TEXT, Type.BOOL) and op not in ("=", "<>"):
            self.fail(node, f"{TYPE_LABELS[left]}只能用 = 或 <> 比较")
        return Type.BOOL

    def _arith(self, node: exp.Expr, depth: int) -> Type | None:
        for side in (node.this, node.expression):
            self.need(side, self.sub(side, depth), Type.NUMBER, f"运算 {ARITHMETIC[type(node)]} ")
        return Type.NUMBER

    def _neg(self, node: exp.Neg, depth: int) -> Type:
        self.need(node.this, self.sub(node.this, depth), Type.NUMBER, "负号")
        return Type.NUMBER

    def _and(self, node: exp.Expr, depth: int) -> Type:
        for side in (node.this, node.expression):
            self.need(side, self.sub(side, depth), Type.BOOL, "AND/OR ")
        return Type.BOOL

    _or = _and

    def _not(self, node: exp.Not, depth: int) -> Type:
        self.need(node.this, self.sub(node.this, depth), Type.BOOL, "NOT ")
        return Type.BOOL

    def _is(self, node: exp.Is, depth: int) -> Type:
        if not isinstance(node.expression, exp.Null):
            self.fail(node, "IS 后只能跟 NULL（写作 IS NULL 或 IS NOT NULL）")
        else:
            self.sub(node.this, depth)
        return Type.BOOL

    def _in(self, node: exp.In, depth: int) -> Type:
        if node.args.get("query") or node.args.get("unnest") or node.args.get("field"):
            self.fail(node.args.get("query") or node, "IN 后只能是值列表，不允许子查询")
            return Type.BOOL
        left = self.sub(node.this, depth)
        items = node.expressions
        if not items:
            self.fail(node, "IN 列表不能为空")
        for item in items:
            got = self.sub(item, depth)
            if left is not None and got is not None and got != left:
                self.fail(item, f"IN 列表的类型应为{TYPE_LABELS[left]}，这里是{TYPE_LABELS[got]}")
        if left == Type.BOOL:
            self.fail(node, "逻辑值不能用 IN")
        return Type.BOOL

    def _between(self, node: exp.Between, depth: int) -> Type:
        types = [self.sub(node.this, depth), self.sub(node.args.get("low"), depth),
                 self.sub(node.args.get("high"), depth)]
        for part, got in zip((node.this, node.args.get("low"), node.args.get("high")), types, strict=True):
            if got is not None and got not in (Type.NUMBER, Type.DATE):
                self.fail(part, f"BETWEEN 只用于数值或日期，这里是{TYPE_LABELS[got]}")
        known = {t for t in types if t is not None}
        if len(known) > 1:
            self.fail(node, "BETWEEN 三部分类型不一致")
        return Type.BOOL

    def _case(self, node: exp.Case, depth: int) -> Type | None:
        if node.this is not None:
            self.fail(node, "请写成 CASE WHEN 条件 THEN 值 … END（不支持 CASE 字段 WHEN 值 的简写）")
            return None
        result: Type | None = None
        branches = [(i.this, i.args.get("true")) for i in node.args.get("ifs") or []]
        for cond, value in branches:
            self.need(cond, self.sub(cond, depth), Type.BOOL, "WHEN 条件")
            result = self._same(value, self.sub(value, depth), result, "CASE 各分支")
        default = node.args.get("default")
        if default is not None:
            result = self._same(default, self.sub(default, depth), result, "CASE 各分支")
        return result

    def _same(self, node: exp.Expr, got: Type | None, so_far: Type | None, what: str) -> Type | None:
        if got is None:
            return so_far
        if so_far is not None and got != so_far:
            self.fail(node, f"{what}类型应一致：{TYPE_LABELS[so_far]} 与 {TYPE_LABELS[got]}")
            return so_far
        return got

    def _args(self, node: exp.Expr) -> list[exp.Expr]:
        return [node.this, *node.expressions] if node.this is not None else list(node.expressions)

    def _coalesce(self, node: exp.Coalesce, depth: int) -> Type | None:
        args = self._args(node)
        if len(args) < 2:
            self.fail(node, "COALESCE 至少需要两个参数")
        result: Type | None = None
        for arg in args:
            result = self._same(arg, self.sub(arg, depth), result, "COALESCE 参数")
        return result

    def _numeric_args(self, node: exp.Expr, depth: int, name: str, minimum: int) -> Type:
        args = self._args(node)
        if len(args) < minimum:
            self.fail(node, f"{name} 至少需要 {minimum} 个参数")
        for arg in args:
            self.need(arg, self.sub(arg, depth), Type.NUMBER, f"{name} 的参数")
        return Type.NUMBER

    def _least(self, node: exp.Expr, depth: int) -> Type:
        return self._numeric_args(node, depth, "LEAST/MIN", 2)

    def _greatest(self, node: exp.Expr, depth: int) -> Type:
        return self._numeric_args(node, depth, "GREATEST/MAX", 2)

    def _min(self, node: exp.Min, depth: int) -> Type:
        if not node.expressions:
            self.fail(node, "MIN 需要两个或更多参数（取最小值，不是聚合）")
        return self._least(node, depth)

    def _max(self, node: exp.Max, depth: int) -> Type:
        if not node.expressions:
            self.fail(node, "MAX 需要两个或更多参数（取最大值，不是聚合）")
        return self._greatest(node, depth)

    def _abs(self, node: exp.Abs, depth: int) -> Type:
        self.need(node.this, self.sub(node.this, depth), Type.NUMBER, "ABS 的参数")
        return Type.NUMBER

    def _floor(self, node: exp.Expr, depth: int) -> Type:
        if node.args.get("decimals") is not None or node.args.get("to") is not None:
            self.fail(node, f"{node.key.upper()} 只接受一个参数")
        self.need(node.this, self.sub(node.this, depth), Type.NUMBER, f"{node.key.upper()} 的参数")
        return Type.NUMBER

    _ceil = _floor

    def _round(self, node: exp.Round, depth: int) -> Type:
        self.need(node.this, self.sub(node.this, depth), Type.NUMBER, "ROUND 的参数")
        decimals = node.args.get("decimals")
        if decimals is not None and round_digits(node) is None:
            self.fail(decimals, "ROUND 的小数位数必须是 0 到 6 的整数常量")
        return Type.NUMBER


def round_digits(node: exp.Round) -> int | None:
    decimals = node.args.get("decimals")
    if decimals is None:
        return 0
    if isinstance(decimals, exp.Literal) and not decimals.is_string and decimals.this.isdigit():
        value = int(decimals.this)
        return value if 0 <= value <= 6 else None
    return None


def function_args(node: exp.Expr) -> list[exp.Expr]:
    """Arguments of COALESCE / LEAST / GREATEST / MIN / MAX in order."""
    return [node.this, *node.expressions] if node.this is not None else list(node.expressions)


def _close_names(name: str, names: Mapping[str, Type]) -> list[str]:
    import difflib

    return difflib.get_close_matches(name, list(names), n=3, cutoff=0.6)


def literal_value(node: exp.Expr) -> float | str | bool | datetime.date:
    """The Python value of a constant node (number → float)."""
    if isinstance(node, exp.Paren):
        return literal_value(node.this)
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Neg):
        inner = literal_value(node.this)
        assert isinstance(inner, float)
        return -inner
    if isinstance(node, exp.Cast):
        return datetime.date.fromisoformat(node.this.this)
    assert isinstance(node, exp.Literal)
    return node.this if node.is_string else float(node.this)
