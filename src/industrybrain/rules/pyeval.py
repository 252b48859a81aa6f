"""The reference evaluator: the same rules, in plain Python, one enterprise at a time.

It reads the registry through the ORM (not through the compiler's SQL), evaluates the validated trees
with Kleene three-valued logic (None = unknown) and IEEE doubles, and returns rows shaped exactly like the
SQL statement's, so tests can compare the two paths column by column.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlglot import exp

from . import features as F
from .language import COMPARISONS, function_args, literal_value, round_digits
from .rulefile import RuleSpec

Value = Any  # float | str | bool | datetime.date | None


# -- expressions -------------------------------------------------------------------------------

def _and(a: Value, b: Value) -> Value:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def _or(a: Value, b: Value) -> Value:
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


def _cmp(op: str, a: Value, b: Value) -> Value:
    if a is None or b is None:
        return None
    return {"=": a == b, "<>": a != b, ">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op]


def evaluate(node: exp.Expr, env: dict[str, Value]) -> Value:
    """Value of a validated tree; `env` maps each name to its value (None = unknown)."""
    if isinstance(node, exp.Column):
        return env[node.this.name.lower()]
    if isinstance(node, exp.Literal | exp.Boolean | exp.Cast):
        return literal_value(node)
    if isinstance(node, exp.Paren):
        return evaluate(node.this, env)
    if type(node) in COMPARISONS:
        return _cmp(COMPARISONS[type(node)], evaluate(node.this, env), evaluate(node.expression, env))
    if isinstance(node, exp.And):
        return _and(evaluate(node.this, env), evaluate(node.expression, env))
    if isinstance(node, exp.Or):
        return _or(evaluate(node.this, env), evaluate(node.expression, env))
    if isinstance(node, exp.Not):
        value = evaluate(node.this, env)
        return None if value is None else not value
    if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Div):
        a, b = evaluate(node.this, env), evaluate(node.expression, env)
        if a is None or b is None:
            return None
        a, b = float(a), float(b)
        if isinstance(node, exp.Add):
            return a + b
        if isinstance(node, exp.Sub):
            return a - b
        if isinstance(node, exp.Mul):
            return a * b
        return None if b == 0 else a / b
    if isinstance(node, exp.Neg):
        value = evaluate(node.this, env)
        return None if value is None else -float(value)
    if isinstance(node, exp.Is):
        return evaluate(node.this, env) is None
    if isinstance(node, exp.In):
        value = evaluate(node.this, env)
        if value is None:
            return None
        result: Value = False
        for item in node.expressions:
            result = _or(result, _cmp("=", value, evaluate(item, env)))
        return result
    if isinstance(node, exp.Between):
        value = evaluate(node.this, env)
        return _and(_cmp(">=", value, evaluate(node.args["low"], env)),
                    _cmp("<=", value, evaluate(node.args["high"], env)))
    if isinstance(node, exp.Case):
        for branch in node.args.get("ifs") or []:
            cond = evaluate(branch.this, env)
            if cond is None:
                return None
            if cond:
                return evaluate(branch.args["true"], env)
        default = node.args.get("default")
        return None if default is None else evaluate(default, env)
    if isinstance(node, exp.Coalesce):
        for arg in function_args(node):
            value = evaluate(arg, env)
            if value is not None:
                return value
        return None
    if isinstance(node, exp.Least | exp.Greatest | exp.Min | exp.Max):
        values = [evaluate(a, env) for a in function_args(node)]
        if any(v is None for v in values):
            return None
        return min(values) if isinstance(node, exp.Least | exp.Min) else max(values)
    if isinstance(node, exp.Abs | exp.Floor | exp.Ceil):
        value = evaluate(node.this, env)
        if value is None:
            return None
        fn: Any = {exp.Abs: abs, exp.Floor: math.floor, exp.Ceil: math.ceil}[type(node)]
        return float(fn(float(value)))
    if isinstance(node, exp.Round):
        value = evaluate(node.this, env)
        if value is None:
            return None
        scale = 10.0 ** (round_digits(node) or 0)
        return float(math.floor(float(value) * scale + 0.5)) / scale
    raise TypeError(f"not a validated node: {type(node).__name__}")


# -- base columns from the ORM -----------------------------------------------------------------

def _full_years(start: datetime.date | None, as_of: datetime.date) -> float | None:
    if start is None:
        return None
    ymd = as_of.year * 10000 + as_of.month * 100 + as_of.day
    return float(math.floor((float(ymd) - float(start.year * 10000 + start.month * 100 + start.day)) / 10000.0))


def base_rows(as_of: datetime.date, enterprise_ids: Iterable[int] | None = None,
              columns: Iterable[F.BaseColumn] | None = None) -> dict[int, dict[str, Value]]:
    """Base columns per enterprise id, computed from the registry in Python."""
    from industrybrain.registry.models import Certification, Enterprise, YearlyFact

    from .models import EnterpriseAttribute

    cols = list(columns) if columns is not None else list(F.BASE_COLUMNS.values())
    ents = Enterprise.objects.all()
    if enterprise_ids is not None:
        ents = ents.filter(pk__in=list(enterprise_ids))
    rows: dict[int, dict[str, Value]] = {}
    for ent in ents.values("id", "region_id", "industry_id", "size_class", "above_scale", "ownership", "founded_on"):
        rows[ent["id"]] = {
            "enterprise_id": ent["id"], "region_code": ent["region_id"],
            "e_region_code": ent["region_id"], "e_industry_code": ent["industry_id"],
            "e_size_class": ent["size_class"] or None, "e_above_scale": bool(ent["above_scale"]),
            "e_ownership": ent["ownership"], "e_years_since_founding": _full_years(ent["founded_on"], as_of),
        }
    ids = list(rows)
    years = {as_of.year - n: n for n in range(1, F.YEARS_BACK + 1)}
    facts: dict[tuple[int, int], dict] = {}
    fields = [f for f, _l, _u in F.YEARLY_FACT_FIELDS]
    for fact in YearlyFact.objects.filter(enterprise_id__in=ids, year__in=list(years)).values("enterprise_id", "year", *fields):
        facts[(fact["enterprise_id"], years[fact["year"]])] = fact
    certs: dict[int, set[str]] = defaultdict(set)
    for cert in Certification.objects.filter(enterprise_id__in=ids, issued_on__lte=as_of).values(
            "enterprise_id", "kind", "valid_until"):
        if cert["valid_until"] is None or cert["valid_until"] >= as_of:
            certs[cert["enterprise_id"]].add(cert["kind"])
    attrs: dict[tuple[int, str], Value] = {}
    for attr in EnterpriseAttribute.objects.filter(enterprise_id__in=ids, as_of__lte=as_of).order_by("as_of", "id"):
        attrs[(attr.enterprise_id, attr.code)] = attr.value  # later rows win
    for eid, row in rows.items():
        for col in cols:
            if col.kind == "yearly":
                fact = facts.get((eid, col.year_offset))
                value = fact.get(col.field) if fact else None
                row[col.code] = None if value is None else float(value)
            elif col.kind == "cert":
                row[col.code] = col.field in certs.get(eid, set())
            elif col.kind == "attr":
                value = attrs.get((eid, col.field))
                if value is None:
                    value = col.default
                row[col.code] = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
            elif col.kind == "attr_years":
                ref = datetime.date(as_of.year - 1, 12, 31) if col.year_offset else as_of
                row[col.code] = _full_years(attrs.get((eid, col.field)), ref)
    return rows


# -- whole rules -------------------------------------------------------------------------------

def evaluate_rule(spec: RuleSpec, base: dict[str, Value]) -> dict[str, Value]:
    """One enterprise: a row with the same columns as compiler.rule_query."""
    feats = {code: evaluate(F.FEATURES[code].expression.tree, base) for code in sorted(spec.features)}
    return rule_row(spec, feats, base.get("enterprise_id"), base.get("region_code"))


def rule_row(spec: RuleSpec, feats: dict[str, Value], enterprise_id: Value = None,
             region_code: Value = None) -> dict[str, Value]:
    """The rule over given feature values (e.g. a feature snapshot row): the same columns as rule_query."""
    row: dict[str, Value] = {"enterprise_id": enterprise_id, "region_code": region_code}
    feats = {code: feats.get(code) for code in sorted(spec.features)}
    row.update({f"f_{code}": value for code, value in feats.items()})
    names: dict[str, Value] = {}
    for cr in spec.criteria:
        if cr.expr is not None:
            names[cr.id] = row[f"c_{cr.id}"] = evaluate(cr.expr.tree, feats)
    for ind in spec.indicators:
        names[ind.id] = row[f"p_{ind.id}"] = evaluate(ind.points.tree, feats)
    for dim in spec.dimensions:
        inds = [i for i in spec.indicators if i.dimension == dim.id]
        total = lo = hi = 0.0
        known = True
        for k, ind in enumerate(inds):
            p = row[f"p_{ind.id}"]
            known = known and p is not None
            pl = ind.min_points if p is None else p
            ph = ind.max_points if p is None else p
            total = (p if k == 0 else total + p) if known else total
            lo, hi = (pl, ph) if k == 0 else (lo + pl, hi + ph)
        names[dim.id] = row[f"d_{dim.id}"] = total if known else None
        row[f"d_{dim.id}_lo"], row[f"d_{dim.id}_hi"] = lo, hi
    for suffix in ("", "_lo", "_hi"):
        total_score: Value = None
        for k, dim in enumerate(spec.dimensions):
            d = row[f"d_{dim.id}{suffix}"]
            total_score = d if k == 0 else (None if total_score is None or d is None else total_score + d)
        row[f"score{suffix}"] = total_score
    row["direct_any"] = _fold([row[f"c_{c.id}"] for c in spec.direct if not c.manual], _or, False)
    row["conditions_all"] = _fold([row[f"c_{c.id}"] for c in spec.conditions if not c.manual], _and, True)
    row["scoring_ok"] = _scoring_ok(spec, row)
    names.update(score=row["score"], scoring_ok=row["scoring_ok"], direct_any=row["direct_any"],
                 conditions_all=row["conditions_all"])
    row["outcome"] = evaluate(spec.pass_expr.tree, names)
    return row


def _fold(values: list[Value], op, empty: Value) -> Value:
    if not values:
        return empty
    out = values[0]
    for v in values[1:]:
        out = op(out, v)
    return out


def _scoring_ok(spec: RuleSpec, row: dict[str, Value]) -> Value:
    if not spec.indicators:
        return True
    lows, highs = [], []
    if spec.pass_score is not None:
        lows.append(row["score_lo"] >= spec.pass_score)
        highs.append(row["score_hi"] < spec.pass_score)
    for dim in spec.dimensions:
        if dim.min is not None:
            lows.append(row[f"d_{dim.id}_lo"] >= dim.min)
            highs.append(row[f"d_{dim.id}_hi"] < dim.min)
    if not lows:
        return True
    if all(lows):
        return True
    if any(highs):
        return False
    return None


def evaluate_all(spec: RuleSpec, as_of: datetime.date, enterprise_ids: Iterable[int] | None = None) -> list[dict]:
    cols = F.base_columns_for(spec.features)
    return [evaluate_rule(spec, base) for base in base_rows(as_of, enterprise_ids, cols).values()]
