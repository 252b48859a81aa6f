"""A policy's eligibility and amount as a rule of the shared engine (a thin adapter over its public API).

The officer writes one logical expression (享受条件) and one numeric expression (兑现金额公式) in the rules
language (docs/RULES.md). Here:

* both are validated with `rules.language.parse` against the feature catalogue (Chinese messages with line,
  column and caret);
* the top-level `AND` chain of the eligibility becomes the rule's conditions, so every reason can be shown
  (each condition with its threshold, the values it read and its result) and a near miss is "exactly one
  condition false, all others true";
* the rule is a YAML rule text for `rules.rulefile.load_rule`, compiled by `rules.compiler.rule_query` into
  ONE statement over the enterprise base; the amount formula is compiled by the same compiler
  (`compile_tree`) into an extra column of that statement (`amount_raw`), over the same feature layer;
* one enterprise is re-evaluated with `rules.pyeval` (the engine's reference evaluator, property-tested to
  agree with the SQL), which is what makes rematching after an edit cheap.

Amounts: the formula's value is clamped to [0, cap per enterprise] and rounded half-up to 0.01 万元; an
unknown value (missing data) means "金额待核定", never 0.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import yaml
from django.db import connection
from sqlglot import exp

from industrybrain.rules import features as F
from industrybrain.rules import pyeval
from industrybrain.rules.compiler import (
    ID_PLACEHOLDERS,
    dialect_for,
    params_for,
    render,
    rule_query,
    snapshot_expressions,
)
from industrybrain.rules.language import Expression, RuleSyntaxError, Type, literal_value, parse
from industrybrain.rules.rulefile import RuleSpec, load_rule

# extra features every policy statement reads, for the officers' breakdowns and the simulation
BREAKDOWN_FEATURES = frozenset({"industry_code", "size_class_last_year"})
CENT = Decimal("0.01")

OPS: dict[type, str] = {exp.GT: ">", exp.GTE: "≥", exp.LT: "<", exp.LTE: "≤", exp.EQ: "=", exp.NEQ: "≠"}


def parse_eligibility(text: str) -> Expression:
    """Validate a policy's eligibility (a logical expression); raises RuleSyntaxError with positions."""
    return parse(text, F.NAMESPACE, expect=Type.BOOL, label="享受条件")


def parse_formula(text: str) -> Expression:
    return parse(text, F.NAMESPACE, expect=Type.NUMBER, label="金额公式")


def problems(text: str, kind: str) -> list[str]:
    """Every problem of an expression as Chinese messages with line/column and a caret (empty: valid)."""
    try:
        (parse_eligibility if kind == "eligibility" else parse_formula)(text)
    except RuleSyntaxError as err:
        return [p.render(err.text, err.label) for p in err.problems]
    return []


# -- conditions -----------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Condition:
    id: str
    name: str
    text: str
    node: exp.Expr
    names: tuple[str, ...] = ()  # the features it reads, sorted (computed once, not per row)


def _strip(node: exp.Expr) -> exp.Expr:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _conjuncts(node: exp.Expr) -> list[exp.Expr]:
    node = _strip(node)
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    return [node]


def _label(name: str) -> str:
    feature = F.FEATURES.get(name)
    return feature.label if feature else name


def _fmt_number(value: float) -> str:
    if abs(value) >= 1e15:
        return str(value)
    return f"{round(value, 4):g}" if abs(value) >= 1e-4 or value == 0 else f"{value:g}"


@functools.lru_cache(maxsize=1)
def _choice_tables() -> dict[str, dict[str, str]]:
    """The Chinese names of the coded values a feature can take (sizes, ownership, attribute choices)."""
    from industrybrain.registry.models import Ownership
    from industrybrain.registry.sizing import SizeClass

    sizes = {str(k): str(v) for k, v in SizeClass.choices}
    tables: dict[str, dict[str, str]] = {"size_class": sizes, "size_class_last_year": sizes,
                                         "ownership": {str(k): str(v) for k, v in Ownership.choices}}
    for code, feature in F.FEATURES.items():
        definition = feature.definition.strip()
        if definition.startswith("attr_") and definition[5:] in F.ATTRIBUTES:
            attr = F.ATTRIBUTES[definition[5:]]
            if attr.choices:
                tables[code] = dict(attr.choices)
    return tables


def choice_name(code: str, value: Any) -> str:
    """A coded value's Chinese name for a feature ('small' → 小型); the value itself when it has none."""
    return _choice_tables().get(code, {}).get(str(value), str(value))


def show_value(code: str, value: Any, unit: str = "") -> str:
    """A value read by a condition, as people read it: 5000万元, 6%, 是/否, 小型, 无数据."""
    if value is None:
        return "无数据"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return f"{_fmt_number(float(value))}{unit}"
    return choice_name(code, value)


_ARITH: dict[type, str] = {exp.Add: "＋", exp.Sub: "－", exp.Mul: "×", exp.Div: "÷"}
_FUNCS: dict[type, str] = {exp.Least: "较小值", exp.Greatest: "较大值", exp.Abs: "绝对值", exp.Floor: "向下取整",
                           exp.Ceil: "向上取整", exp.Round: "四舍五入", exp.Coalesce: "取首个有数据的值"}


def _column_of(node: exp.Expr) -> str | None:
    """The feature an operand is (or defaults, as in COALESCE(feature, 0)): its unit and choices apply."""
    node = _strip(node)
    if isinstance(node, exp.Coalesce) and node.expressions:
        return _column_of(node.this)
    return node.name.lower() if isinstance(node, exp.Column) else None


def _literal(node: exp.Expr, code: str | None, with_unit: bool = True) -> str:
    """A literal as Chinese text: a number with the unit of the feature it is compared with, a coded text
    value by its Chinese name, TRUE/FALSE as 是/否."""
    node = _strip(node)
    if isinstance(node, exp.Boolean):
        return "是" if node.this else "否"
    if isinstance(node, exp.Neg):
        return "-" + _literal(node.this, code, with_unit)
    if isinstance(node, exp.Literal):
        value = literal_value(node)
        if isinstance(value, float):
            unit = F.FEATURES[code].unit if with_unit and code in F.FEATURES else ""
            return f"{_fmt_number(value)}{unit}"
        return choice_name(code or "", value)
    return _term(node)


def _term(node: exp.Expr) -> str:
    """A numeric or text expression with the catalogue's labels: 上年度营业收入 × 0.05."""
    node = _strip(node)
    if isinstance(node, exp.Column):
        return _label(node.name.lower())
    if isinstance(node, exp.Literal | exp.Boolean):
        return _literal(node, None, with_unit=False)
    if isinstance(node, exp.Neg):
        return f"-{_term(node.this)}"
    if type(node) in _ARITH:
        return f"{_wrap(node.this)} {_ARITH[type(node)]} {_wrap(node.expression)}"
    if isinstance(node, exp.Coalesce) and len(node.expressions) == 1 and _column_of(node.this):
        code = _column_of(node.this)
        return f"{_label(code)}（无数据按 {_literal(node.expressions[0], code)}）"  # type: ignore[arg-type]
    if type(node) in _FUNCS:
        args = [a for a in [node.this, *node.expressions] if a is not None]
        if isinstance(node, exp.Round) and node.args.get("decimals") is not None:
            args.append(node.args["decimals"])
        return f"{_FUNCS[type(node)]}（{'，'.join(_term(a) for a in args)}）"
    if isinstance(node, exp.Case):
        parts = [f"{describe(i.this)}时为{_term(i.args['true'])}" for i in node.args.get("ifs") or []]
        if node.args.get("default") is not None:
            parts.append(f"否则为{_term(node.args['default'])}")
        return "（" + "；".join(parts) + "）"
    return describe(node)


def _wrap(node: exp.Expr) -> str:
    inner = _strip(node)
    text = _term(inner)
    return f"（{text}）" if type(inner) in (exp.Add, exp.Sub) else text


def _joined(node: exp.Expr, kind: type) -> list[exp.Expr]:
    node = _strip(node)
    if isinstance(node, kind):
        return _joined(node.this, kind) + _joined(node.expression, kind)
    return [node]


def _part(node: exp.Expr) -> str:
    """A member of an AND/OR: parenthesised when it is itself a chain of the other kind."""
    inner = _strip(node)
    text = describe(inner)
    return f"（{text}）" if isinstance(inner, exp.And | exp.Or) else text


def _flag(code: str, negative: bool = False) -> str:
    """A logical feature as a statement: 已认定专精特新中小企业 / 未认定…; 拥有自主品牌 / 不满足：拥有自主品牌."""
    if code.startswith("has_certification_") and code[18:] in F.CERTIFICATION_KINDS:
        name = F.CERTIFICATION_KINDS[code[18:]]
        return f"{'未' if negative else '已'}认定{name}"
    return f"不满足：{_label(code)}" if negative else _label(code)


def describe(node: exp.Expr) -> str:
    """A condition as Chinese text with the catalogue's labels, units and the Chinese names of coded values:
    研发费用占营业收入比重 ≥ 3%；企业规模属于小型、微型；已认定专精特新中小企业或已认定专精特新“小巨人”企业."""
    node = _strip(node)
    if isinstance(node, exp.Column):
        return _flag(node.name.lower())
    if isinstance(node, exp.Boolean):
        return "是" if node.this else "否"
    if isinstance(node, exp.And):
        return "且".join(_part(p) for p in _joined(node, exp.And))
    if isinstance(node, exp.Or):
        return "或".join(_part(p) for p in _joined(node, exp.Or))
    if isinstance(node, exp.Not):
        inner = _strip(node.this)
        if isinstance(inner, exp.Column):
            return _flag(inner.name.lower(), negative=True)
        if isinstance(inner, exp.In):
            return _in(inner, negative=True)
        if isinstance(inner, exp.Is):
            return _is(inner, negative=True)
        if isinstance(inner, exp.Between):
            return _between(inner, negative=True)
        return f"并非（{describe(inner)}）"
    if type(node) in OPS:
        return _compare(node)
    if isinstance(node, exp.In):
        return _in(node)
    if isinstance(node, exp.Between):
        return _between(node)
    if isinstance(node, exp.Is):
        return _is(node)
    return _term(node)


def _compare(node: exp.Expr) -> str:
    left, right = _strip(node.this), _strip(node.expression)
    op = OPS[type(node)]
    code = _column_of(left)
    if code is not None and isinstance(right, exp.Boolean) and type(node) in (exp.EQ, exp.NEQ):
        return _flag(code, negative=bool(right.this) == (type(node) is exp.NEQ))
    if code is not None and isinstance(right, exp.Literal | exp.Neg):
        feature = F.FEATURES.get(code)
        if feature is not None and feature.type == Type.TEXT and type(node) in (exp.EQ, exp.NEQ):
            return f"{_term(left)}{'为' if type(node) is exp.EQ else '不为'}{_literal(right, code)}"
        return f"{_term(left)} {op} {_literal(right, code)}"
    rcode = _column_of(right)
    if rcode is not None and isinstance(left, exp.Literal | exp.Neg):
        return f"{_literal(left, rcode)} {op} {_label(rcode)}"
    return f"{_term(left)} {op} {_term(right)}"


def _in(node: exp.In, negative: bool = False) -> str:
    code = _column_of(node.this)
    names = "、".join(_literal(e, code) for e in node.expressions)
    return f"{_term(node.this)}{'不属于' if negative else '属于'}{names}"


def _between(node: exp.Between, negative: bool = False) -> str:
    code = _column_of(node.this)
    low, high = _literal(node.args["low"], code), _literal(node.args["high"], code)
    return f"{_term(node.this)}{'不在' if negative else '在'} {low} 至 {high} 之间"


def _is(node: exp.Is, negative: bool = False) -> str:
    return f"{_term(node.this)}{'有数据' if negative else '无数据'}"


def split_conditions(expr: Expression) -> list[Condition]:
    return [Condition(f"c{i}", describe(node), node.sql(), node,
                      tuple(sorted({c.name.lower() for c in node.find_all(exp.Column)})))
            for i, node in enumerate(_conjuncts(expr.tree), 1)]


# -- the rule -------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class PolicyRule:
    """A policy's compiled view: the engine's RuleSpec, its conditions and the amount formula."""

    code: str
    spec: RuleSpec
    conditions: tuple[Condition, ...]
    formula: Expression | None
    cap: Decimal | None
    checksum: str

    @property
    def features(self) -> frozenset[str]:
        return self.spec.features


def rule_text(code: str, name: str, version: int, valid_from: dt.date, document: str,
              conditions: Iterable[Condition]) -> str:
    """The YAML rule file of the shared engine for a policy (loaded with rules.rulefile.load_rule)."""
    data = {"id": code, "name": name, "version": str(version), "valid_from": valid_from,
            "source": {"document": document or name},
            "conditions": [{"id": c.id, "name": c.name, "expr": c.text} for c in conditions]}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)


@functools.lru_cache(maxsize=1024)
def _build(code: str, name: str, version: int, valid_from: dt.date, document: str, eligibility: str,
           formula_text: str, cap: Decimal | None) -> PolicyRule:
    expr = parse_eligibility(eligibility)
    conditions = tuple(split_conditions(expr))
    formula = parse_formula(formula_text) if formula_text.strip() else None
    spec = load_rule(rule_text(code, name, version, valid_from, document, conditions))
    extra = BREAKDOWN_FEATURES | (formula.names if formula else frozenset())
    spec = dataclasses.replace(spec, features=spec.features | extra)
    checksum = hashlib.sha256("\n".join([spec.checksum, formula_text, str(cap)]).encode()).hexdigest()
    return PolicyRule(code, spec, conditions, formula, cap, checksum)


def rule_id(code: str) -> str:
    """The shared engine's rule id for a policy code (lower-case letters, digits and underscores)."""
    cleaned = "".join(ch if ch.isalnum() and ch.isascii() else "_" for ch in code.lower()).strip("_")
    return f"policy_{cleaned}" if cleaned else "policy"


def build(policy: Any) -> PolicyRule:
    """The compiled rule of a Policy (or a draft with the same attributes); cached by content."""
    cap = policy.cap_per_enterprise
    return _build(rule_id(policy.code or "draft"), policy.title or "草案", int(policy.rule_version or 1),
                  policy.valid_from or dt.date(2000, 1, 1), policy.document_title or "",
                  policy.eligibility, policy.amount_formula or "",
                  None if cap is None else Decimal(cap))


def build_draft(eligibility: str, formula: str = "", cap: Decimal | None = None, code: str = "draft") -> PolicyRule:
    return _build(rule_id(code), "政策模拟草案", 1, dt.date(2000, 1, 1), "", eligibility, formula, cap)


# -- SQL --------------------------------------------------------------------------------------------

_SQL_CACHE: dict[tuple, tuple[str, tuple[str, ...]]] = {}


def _with_key(tree: exp.Expr) -> str:
    """sqlglot names the WITH argument "with_" (newer) or "with" (older)."""
    if tree.args.get("with_") is not None:
        return "with_"
    if tree.args.get("with") is not None:
        return "with"
    return "with_" if "with_" in exp.Select.arg_types else "with"


def _col(name: str, table: str) -> exp.Column:
    return exp.column(name, table=table)


def _keep(prule: PolicyRule, r: str = "r", at_most_one_false: bool = False) -> exp.Expr:
    """qualified, or (two or more conditions) exactly one condition FALSE and none unknown; with
    `at_most_one_false` every row with at most one FALSE condition (what a simulation and its sweep read)."""
    def count(cond_of) -> exp.Expr:
        total: exp.Expr = exp.Literal.number(0)
        for c in prule.conditions:
            total = exp.Add(this=total, expression=exp.Case(
                ifs=[exp.If(this=cond_of(_col(f"c_{c.id}", r)), true=exp.Literal.number(1))],
                default=exp.Literal.number(0)))
        return exp.Paren(this=total)

    if at_most_one_false:
        return exp.LTE(this=count(lambda col: exp.Not(this=exp.Paren(this=col))), expression=exp.Literal.number(1))
    keep: exp.Expr = exp.EQ(this=_col("outcome", r), expression=exp.true())
    if len(prule.conditions) >= 2:
        false_count = count(lambda col: exp.Not(this=exp.Paren(this=col)))
        unknown_count = count(lambda col: exp.Is(this=col, expression=exp.Null()))
        keep = exp.Or(this=keep, expression=exp.Paren(this=exp.And(
            this=exp.EQ(this=false_count, expression=exp.Literal.number(1)),
            expression=exp.EQ(this=unknown_count, expression=exp.Literal.number(0)))))
    return keep


def _query(prule: PolicyRule, dialect: str, ids: list[int] | None, source: str | None) -> tuple[exp.Select, tuple[str, ...]]:
    """The engine's rule query plus `amount_raw` (the amount formula through the compiler's public extra
    columns hook: same feature layer, same semantics)."""
    extra = {"amount_raw": prule.formula} if prule.formula is not None else None
    tree, col_list = rule_query(prule.spec, dialect, ids, source, extra=extra)
    if extra is None:
        tree = tree.select(exp.alias_(exp.Cast(this=exp.Null(), to=exp.DataType.build("double")), "amount_raw"))
        col_list = [*col_list, "amount_raw"]
    return tree, tuple(col_list)


def _outer(tree: exp.Select, select: list[exp.Expr], where: exp.Expr) -> exp.Select:
    """SELECT … FROM (rule query) r WHERE …, with the rule's WITH clauses moved to the top (portable)."""
    with_ = tree.args.get(_with_key(tree))
    tree.set(_with_key(tree), None)
    outer = exp.select(*select).from_(
        exp.Subquery(this=tree, alias=exp.TableAlias(this=exp.to_identifier("r")))).where(where)
    outer.set(_with_key(outer), with_)
    return outer


def statement(prule: PolicyRule, as_of: dt.date, enterprise_ids: Iterable[int] | None = None,
              candidates_only: bool = True, source: str | None = None,
              at_most_one_false: bool = False) -> tuple[str, dict, tuple[str, ...]]:
    """One statement: the engine's rule query plus `amount_raw`, optionally only qualified and near-miss rows;
    `source` = a feature snapshot table to read the features from (rules.snapshot).

    Near miss = exactly one condition FALSE and every other TRUE (no unknown), for policies of two or more
    conditions (missing the only condition of a one-condition policy is not "near")."""
    dialect = dialect_for(connection.vendor)
    ids = None if enterprise_ids is None else sorted({int(i) for i in enterprise_ids})
    params = params_for(as_of)
    if ids is not None and len(ids) <= ID_PLACEHOLDERS:
        params.update({f"e{i}": eid for i, eid in enumerate(ids)})
    key = (prule.checksum, dialect, None if ids is None else len(ids), candidates_only, source, at_most_one_false)
    cacheable = ids is None or len(ids) <= ID_PLACEHOLDERS
    if cacheable and key in _SQL_CACHE:
        sql, cols = _SQL_CACHE[key]
        return sql, params, cols
    tree, columns = _query(prule, dialect, ids, source)
    if candidates_only or at_most_one_false:
        tree = _outer(tree, [_col(c, "r") for c in columns], _keep(prule, at_most_one_false=at_most_one_false))
    sql = render(tree, dialect)
    if cacheable:
        if len(_SQL_CACHE) > 2048:
            _SQL_CACHE.clear()
        _SQL_CACHE[key] = (sql, columns)
    return sql, params, columns


def _amount_sql(raw: str, cap: Decimal | None, dialect: str) -> str:
    """Clamp to [0, cap] and round half-up to 0.01 (NULL stays NULL), as `clamp_amount` does in Python."""
    least, greatest = ("LEAST", "GREATEST") if dialect == "postgres" else ("MIN", "MAX")
    value = raw if cap is None else f"{least}({float(cap)!r}, {raw})"
    value = f"{greatest}(0, {value})"
    if dialect == "postgres":
        value = f"CAST({value} AS numeric)"
    return f"CASE WHEN {raw} IS NULL THEN NULL ELSE ROUND({value}, 2) END"


def _batch_parts(i: int, prule: PolicyRule, codes: Iterable[str] | None, dialect: str, r: str) -> tuple[str, str, str]:
    """SQL over the pass's columns {r}.b<i>_c<j> / {r}.b<i>_a for policy i of a batch: (keep, outcome code,
    amount). Kept rows are the qualified ones and — two or more conditions — those with exactly one condition
    FALSE and none unknown (`outcome_of`), in the policy's regions; the amount is clamped and rounded as
    `clamp_amount` does, and NULL unless qualified."""
    true = "TRUE" if dialect == "postgres" else "1"
    conds = [f"{r}.b{i}_c{j}" for j in range(len(prule.conditions))]
    qualified = "(" + " AND ".join(conds) + f") = {true}"
    keep = qualified
    if len(conds) >= 2:
        falses = " + ".join(f"CASE WHEN NOT ({c}) THEN 1 ELSE 0 END" for c in conds)
        unknowns = " + ".join(f"CASE WHEN {c} IS NULL THEN 1 ELSE 0 END" for c in conds)
        keep = f"({keep} OR (({falses}) = 1 AND ({unknowns}) = 0))"
    if codes is not None:
        keep = f"({keep} AND {r}.region_code IN (" + ", ".join(
            "'" + str(c).replace("'", "''") + "'" for c in sorted(set(codes))) + "))"
    amount = (f"CASE WHEN {qualified} THEN {_amount_sql(f'{r}.b{i}_a', prule.cap, dialect)} END"
              if prule.formula is not None else ("CAST(NULL AS numeric)" if dialect == "postgres" else "NULL"))
    return keep, f"CASE WHEN {qualified} THEN 'qualified' ELSE 'near_miss' END", amount


def batch_select(batch: list[tuple[int, PolicyRule, Iterable[str] | None]], as_of: dt.date, source: str
                 ) -> tuple[str, dict]:
    """ONE statement matching a batch of policies over the feature snapshot `source`: SELECT policy_id,
    enterprise_id, outcome ('qualified' / 'near_miss'), amount, rule_version of every row to store.

    A single pass computes every condition and amount of every policy of the batch as a column
    (`compiler.snapshot_expressions`: the rules engine's compiler and three-valued logic, without a rule's
    layers); each enterprise's row then fans out to the policies that keep it. PostgreSQL unnests one array
    per output column in the same scan (the pass is fenced with OFFSET 0, so a condition is computed once
    per enterprise however often the outcome, near-miss test and amount read it); SQLite materialises the
    pass and reads it once per policy (UNION ALL).

    `batch` = [(policy id, rule, region codes or None)]; the parameters %(ib_version_<i>)s (rule versions)
    are the caller's, the rule's are returned."""
    dialect = dialect_for(connection.vendor)
    params = params_for(as_of)
    extra: dict[str, Expression | str] = {}
    for i, (_pid, prule, _codes) in enumerate(batch):
        for j, cond in enumerate(prule.conditions):
            extra[f"b{i}_c{j}"] = cond.text
        if prule.formula is not None:
            extra[f"b{i}_a"] = prule.formula
    tree, _cols = snapshot_expressions(source, extra, dialect)
    inner = render(tree, dialect)
    parts = [(int(pid), *_batch_parts(i, prule, codes, dialect, "q")) for i, (pid, prule, codes) in enumerate(batch)]
    if dialect == "postgres":
        def array(items: list[str], kind: str) -> str:
            return f"CAST(ARRAY[{', '.join(items)}] AS {kind}[])"

        fan = ", ".join([
            f"unnest({array([str(pid) for pid, *_r in parts], 'integer')}) AS policy_id",
            f"unnest({array([f'CASE WHEN {keep} THEN {code} END' for _p, keep, code, _a in parts], 'text')}) AS outcome",
            f"unnest({array([amount for *_r, amount in parts], 'numeric')}) AS amount",
            f"unnest({array([f'%(ib_version_{i})s' for i in range(len(parts))], 'integer')}) AS rule_version"])
        sql = (f"SELECT u.policy_id, u.enterprise_id, u.outcome, u.amount, u.rule_version "  # noqa: S608
               f"FROM (SELECT q.enterprise_id, {fan} FROM ({inner} OFFSET 0) q) u WHERE u.outcome IS NOT NULL")
        return sql, params
    branches = [f"SELECT {pid} AS policy_id, q.enterprise_id, {code} AS outcome, {amount} AS amount, "  # noqa: S608
                f"%(ib_version_{i})s AS rule_version FROM q WHERE {keep}"
                for i, (pid, keep, code, amount) in enumerate(parts)]
    return f"WITH q AS MATERIALIZED ({inner}) " + " UNION ALL ".join(branches), params


def batch_insert(batch: list[tuple[int, PolicyRule, Iterable[str] | None]], as_of: dt.date, source: str,
                 table: str, columns: str) -> tuple[str, dict]:
    """INSERT … SELECT of `batch_select` into `table`; `columns` = its quoted column list (policy,
    enterprise, outcome, amount, reasons, values, rule_version, as_of, matched_at). Reasons and values are
    written empty (`matching.hydrate` derives them when a page shows the row). %(ib_as_of)s and %(ib_now)s
    are the caller's."""
    select, params = batch_select(batch, as_of, source)
    json_list, json_dict = ("'[]'::jsonb", "'{}'::jsonb") if connection.vendor == "postgresql" else ("'[]'", "'{}'")
    for i in range(len(batch)):
        params.setdefault(f"ib_version_{i}", 0)
    return (f"INSERT INTO {table} ({columns}) SELECT m.policy_id, m.enterprise_id, m.outcome, m.amount, "  # noqa: S608
            f"{json_list}, {json_dict}, m.rule_version, %(ib_as_of)s, %(ib_now)s FROM ({select}) m"), params


def _types(prule: PolicyRule) -> dict[str, Type]:
    types: dict[str, Type] = {f"f_{code}": F.FEATURES[code].type for code in prule.features}
    types.update({f"c_{c.id}": Type.BOOL for c in prule.conditions})
    types.update(outcome=Type.BOOL, conditions_all=Type.BOOL, direct_any=Type.BOOL, scoring_ok=Type.BOOL)
    return types


def run(prule: PolicyRule, as_of: dt.date, enterprise_ids: Iterable[int] | None = None,
        candidates_only: bool = True, source: str | None = None, at_most_one_false: bool = False) -> list[dict]:
    """Rows of the statement, with logical values as bool and dates as dates on every database."""
    sql, params, columns = statement(prule, as_of, enterprise_ids, candidates_only, source, at_most_one_false)
    types = _types(prule)
    bools = [i for i, c in enumerate(columns) if types.get(c) == Type.BOOL]
    dates = [i for i, c in enumerate(columns) if types.get(c) == Type.DATE]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        raw = cursor.fetchall()
    rows = []
    for values in raw:
        fixed = list(values)
        for i in bools:
            if fixed[i] is not None:
                fixed[i] = bool(fixed[i])
        for i in dates:
            if fixed[i] is not None and not isinstance(fixed[i], dt.date):
                fixed[i] = dt.date.fromisoformat(str(fixed[i]))
        rows.append(dict(zip(columns, fixed, strict=True)))
    return rows


def evaluate_python(prules: list[PolicyRule], enterprise_id: int, as_of: dt.date) -> list[dict]:
    """One enterprise against many policies with the engine's reference evaluator (no SQL per policy)."""
    features: set[str] = set()
    for prule in prules:
        features |= prule.features
    base = pyeval.base_rows(as_of, [enterprise_id], F.base_columns_for(features)).get(enterprise_id)
    if base is None:
        return [{} for _ in prules]
    out = []
    for prule in prules:
        row = pyeval.evaluate_rule(prule.spec, base)
        env = {code: row[f"f_{code}"] for code in prule.features}
        row["amount_raw"] = pyeval.evaluate(prule.formula.tree, env) if prule.formula is not None else None
        out.append(row)
    return out


# -- reading a row --------------------------------------------------------------------------------

def _tri(value: Any) -> str:
    return "unknown" if value is None else ("pass" if value else "fail")


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def gap(node: exp.Expr, values: dict[str, Any]) -> str:
    """How far a failed condition is from passing, when it is a simple comparison or a flag."""
    node = _strip(node)
    if isinstance(node, exp.Column):
        code = node.name.lower()
        return _flag(code, negative=True) if code.startswith("has_certification_") else f"需具备：{_label(code)}"
    if type(node) in (exp.GT, exp.GTE, exp.LT, exp.LTE):
        left, right = _strip(node.this), _strip(node.expression)
        if isinstance(left, exp.Column) and isinstance(right, exp.Literal) and not right.is_string:
            code = left.name.lower()
            value, threshold = values.get(code), float(literal_value(right))  # type: ignore[arg-type]
            if not isinstance(value, int | float):
                return ""
            unit = F.FEATURES[code].unit if code in F.FEATURES else ""
            diff = threshold - value if type(node) in (exp.GT, exp.GTE) else value - threshold
            if diff <= 0:
                return ""
            verb = "还差" if type(node) in (exp.GT, exp.GTE) else "需降低"
            # a gap between two percentages is in percentage points (研发费用占比 6%，差 2 个百分点), not in %
            gap_unit = " 个百分点" if unit == "%" else unit
            return (f"{_label(code)}{verb} {round(diff, 2):g}{gap_unit}（现为 {round(value, 2):g}{unit}，"
                    f"要求 {OPS[type(node)]} {threshold:g}{unit}）")
    return "不满足：" + describe(node)


def reasons(prule: PolicyRule, row: dict) -> list[dict]:
    """Each condition with its threshold, the values it read (label, unit) and its result; gap when failed."""
    values = {code: row.get(f"f_{code}") for code in prule.features}
    out = []
    for cond in prule.conditions:
        names = cond.names
        result = _tri(row.get(f"c_{cond.id}"))
        out.append({
            "id": cond.id, "name": cond.name, "threshold": cond.text, "result": result,
            "values": [{"code": n, "label": _label(n), "unit": F.FEATURES[n].unit if n in F.FEATURES else "",
                        "value": _jsonable(values.get(n))} for n in names],
            "gap": gap(cond.node, values) if result == "fail" else "",
        })
    return out


def outcome_of(prule: PolicyRule, row: dict) -> str | None:
    """qualified / near_miss / None (not stored)."""
    if row.get("outcome") is True:
        return "qualified"
    if len(prule.conditions) < 2:
        return None  # "near" a one-condition policy means nothing: it is simply not met
    results = [row.get(f"c_{c.id}") for c in prule.conditions]
    if sum(1 for r in results if r is False) == 1 and all(r is not None for r in results):
        return "near_miss"
    return None


def clamp_amount(raw: float | None, cap: Decimal | None) -> Decimal | None:
    """The amount an enterprise gets: max(0, formula), at most the cap, rounded half-up to 0.01 万元 (the
    formula's double read to 15 significant digits first)."""
    if raw is None:
        return None
    # a double carries 15 significant decimal digits: read it to 15 (as PostgreSQL's CAST(… AS numeric) and
    # SQLite's ROUND do), so 12.344999999999999 (binary noise of 12.345) rounds to 12.35 on
    # every path — the set-based match, the per-enterprise rematch and the decision snapshot agree
    value = Decimal(f"{float(raw):.15g}") if not isinstance(raw, Decimal) else raw
    value = max(value, Decimal(0))
    if cap is not None:
        value = min(value, Decimal(cap))
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def values_of(prule: PolicyRule, row: dict) -> dict[str, Any]:
    return {code: _jsonable(row.get(f"f_{code}")) for code in sorted(prule.features)}
