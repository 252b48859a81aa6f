"""Gap analysis: how far an enterprise is from a tier, criterion by criterion, in words.

Works on a stored `rules.EvaluationResult` (the values each criterion read, each criterion's result, the
points and sub-scores), so the gap shown is the gap *of that evaluation*, reproducible later.

A rule's pass expression is split at its top-level ANDs into **units** — the things an officer counts as
"criteria": `conditions_all` expands to each hard condition, a criterion id is that criterion, and any other
term (by default `direct_any OR scoring_ok`, i.e. 评价得分或直通条件) is one unit. An enterprise is in the
cultivation pool when one or two units fail (`POOL_MAX_FAILED`).

For a failed unit the gap is computed from the expression tree with the stored values (Kleene logic through
`rules.pyeval.evaluate`):

* `feature >= constant` (and >, <=, <): the distance to the threshold in the feature's unit —
  "研发费用占比 2.6%，差 0.4 个百分点", "从事细分市场 2 年，差 1 年", "资产负债率 78%，超出 8 个百分点";
  relative gap = distance / |threshold| (capped at 1);
* AND: every failed part, relative gaps added; OR: the closest alternative only (the easiest path);
* `scoring_ok`: the total score and each dimension below its minimum — "评价得分 52 分，差 8 分";
* anything else (a yes/no feature, IN, CASE…): "未满足：…", relative gap 1 (not a matter of degree).

Units whose result is unknown are listed as 数据不足 and not counted as failed.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from industrybrain.rules import features as F
from industrybrain.rules.language import Type
from industrybrain.rules.pyeval import evaluate
from industrybrain.rules.rulefile import Criterion, RuleSpec, pass_units

POOL_MAX_FAILED = 2       # default of settings.IB_CULTIVATION_POOL_MAX_FAILED (services.pool_max_failed)
POOL_SCORE_MARGIN = 10.0  # default of settings.IB_CULTIVATION_POOL_SCORE_MARGIN, in points
FULL_GAP = 1.0

# Short names for the wording of gaps; other features use their catalogue label.
SHORT_LABELS: dict[str, str] = {
    "rd_ratio_last_year": "研发费用占比",
    "rd_ratio_min_2y": "近2年研发费用占比（较低年）",
    "rd_expense_last_year": "上年度研发费用",
    "rd_expense_avg_2y": "近2年研发费用均值",
    "rd_expense_total_2y": "近2年研发费用合计",
    "years_in_niche": "从事细分市场",
    "revenue_last_year": "上年度营业收入",
    "main_business_share_last_year": "主营业务收入占比",
    "main_revenue_growth_avg_2y": "近2年主营业务收入平均增长率",
    "main_revenue_growth_last_year": "上年度主营业务收入增长率",
    "debt_ratio_last_year": "资产负债率",
    "rd_staff_ratio_last_year": "研发人员占比",
    "class1_ip_count": "有效Ⅰ类知识产权",
    "equity_financing_2y": "近2年新增股权融资",
    "equity_financing_3y": "近3年新增股权融资",
    "net_profit_margin_last_year": "净利润率",
    "years_since_founding": "成立年限",
}

_LOWER_BOUND = {exp.GTE: ">=", exp.GT: ">"}
_UPPER_BOUND = {exp.LTE: "<=", exp.LT: "<"}
_FLIP: dict[type, type] = {exp.GTE: exp.LTE, exp.GT: exp.LT, exp.LTE: exp.GTE, exp.LT: exp.GT}


def number(value: float) -> str:
    """A figure as a person writes it: at most two decimals, no trailing zeros (2.6, 0.4, 1, 1,200)."""
    rounded = round(float(value) + 0.0, 2)
    if rounded == int(rounded):
        return f"{int(rounded):,}"
    return f"{rounded:,.2f}".rstrip("0").rstrip(".")


def _with_unit(value: float, unit: str) -> str:
    if unit == "%":
        return f"{number(value)}%"
    return f"{number(value)} {unit}".rstrip()


def _distance_unit(unit: str) -> str:
    return "个百分点" if unit == "%" else unit


@dataclass
class Gap:
    relative: float
    texts: list[str] = field(default_factory=list)


@dataclass
class Unit:
    """One criterion as an officer counts it, with its result and (when failed) its gap."""

    id: str
    name: str
    result: str  # pass | fail | unknown
    text: str = ""
    relative: float = 0.0
    source: str = ""
    mark: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "result": self.result, "text": self.text,
                "relative": round(self.relative, 6)}


@dataclass
class Analysis:
    outcome: str
    units: list[Unit]

    @property
    def failed(self) -> list[Unit]:
        return [u for u in self.units if u.result == "fail"]

    @property
    def failed_count(self) -> int:
        return len(self.failed)

    @property
    def unknown_count(self) -> int:
        return sum(1 for u in self.units if u.result == "unknown")

    @property
    def relative_gap(self) -> float:
        return round(sum(u.relative for u in self.failed), 6)

    @property
    def in_pool(self) -> bool:
        return self.outcome != "pass" and 1 <= self.failed_count <= POOL_MAX_FAILED


class _Env(dict):
    """Names the stored result does not mention are unknown."""

    def __missing__(self, key: str) -> None:
        return None


def _tri(value: Any) -> str:
    return "unknown" if value is None else ("pass" if value else "fail")


def _from_tri(value: Any) -> bool | None:
    return {"pass": True, "fail": False}.get(value) if isinstance(value, str) else value


def _kleene_or(values: list[bool | None]) -> bool | None:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def _kleene_and(values: list[bool | None]) -> bool | None:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def scoring_ok(spec: RuleSpec, subscores: Mapping[str, Any]) -> bool | None:
    """As the engine decides it: true when the check passes with unknown indicators at their lowest,
    false when it fails even at their highest, unknown in between."""
    if not spec.indicators:
        return True
    lows: list[bool] = []
    highs: list[bool] = []
    total = subscores.get("_score") or {}
    if spec.pass_score is not None and total:
        lows.append(total.get("lo") is not None and total["lo"] >= spec.pass_score)
        highs.append(total.get("hi") is not None and total["hi"] < spec.pass_score)
    for dim in spec.dimensions:
        if dim.min is not None:
            sub = subscores.get(dim.id) or {}
            lows.append(sub.get("lo") is not None and sub["lo"] >= dim.min)
            highs.append(sub.get("hi") is not None and sub["hi"] < dim.min)
    if not lows or all(lows):
        return True
    if any(highs):
        return False
    return None


def environment(spec: RuleSpec, values: Mapping[str, Any], criteria: Mapping[str, Any],
                subscores: Mapping[str, Any], score: float | None) -> _Env:
    """Feature values and pass-level names in one namespace (the rule file forbids clashes between them)."""
    env = _Env()
    for code, value in values.items():
        feature = F.FEATURES.get(code)
        if feature is not None and feature.type == Type.DATE and isinstance(value, str):
            value = datetime.date.fromisoformat(value)
        env[code] = value
    for cr in spec.criteria:
        if not cr.manual:
            env[cr.id] = _from_tri(criteria.get(cr.id))
    for ind in spec.indicators:
        env[ind.id] = criteria.get(ind.id)
    for dim in spec.dimensions:
        env[dim.id] = (subscores.get(dim.id) or {}).get("value")
    env["score"] = score
    env["direct_any"] = _kleene_or([env[c.id] for c in spec.direct if not c.manual]) if any(
        not c.manual for c in spec.direct) else False
    env["conditions_all"] = _kleene_and([env[c.id] for c in spec.conditions if not c.manual])
    env["scoring_ok"] = scoring_ok(spec, subscores)
    env["_subscores"] = subscores
    return env


class _Analyser:
    def __init__(self, spec: RuleSpec, env: _Env):
        self.spec, self.env = spec, env
        self.criteria = {c.id: c for c in spec.criteria}
        self.dimensions = {d.id: d for d in spec.dimensions}
        self.indicators = {i.id: i for i in spec.indicators}

    # -- names ------------------------------------------------------------------------------
    def label(self, name: str) -> tuple[str, str]:
        """(label, unit) of a name for wording."""
        if name in F.FEATURES:
            feature = F.FEATURES[name]
            return SHORT_LABELS.get(name, feature.label), feature.unit
        if name == "score":
            return "评价得分", "分"
        if name in self.dimensions:
            return self.dimensions[name].name, "分"
        if name in self.indicators:
            return self.indicators[name].name, "分"
        return name, ""

    def value(self, node: exp.Expr) -> Any:
        return evaluate(node, self.env)

    # -- the walk ---------------------------------------------------------------------------
    def gap(self, node: exp.Expr) -> Gap | None:
        """The gap of a logical (sub)expression that is false; None when it holds or is unknown."""
        if self.value(node) is not False:
            return None
        if isinstance(node, exp.Paren):
            return self.gap(node.this)
        if isinstance(node, exp.And):
            parts = [g for g in (self.gap(node.this), self.gap(node.expression)) if g is not None]
            return Gap(sum(p.relative for p in parts), [t for p in parts for t in p.texts])
        if isinstance(node, exp.Or):
            options = [g for g in (self.gap(node.this), self.gap(node.expression)) if g is not None]
            return min(options, key=lambda g: g.relative) if options else Gap(FULL_GAP)
        if isinstance(node, exp.Coalesce):
            inner = node.this
            if self.value(inner) is None:
                return Gap(FULL_GAP, [self.missing_text(inner)])
            return self.gap(inner)
        if type(node) in _LOWER_BOUND or type(node) in _UPPER_BOUND:
            found = self.comparison(node)
            if found is not None:
                return found
        if isinstance(node, exp.Column):
            return self.name_gap(node.this.name.lower())
        return Gap(FULL_GAP, [f"未满足：{node.sql()}"])

    def name_gap(self, name: str) -> Gap:
        if name in self.criteria:
            cr = self.criteria[name]
            inner = self.gap(cr.expr.tree) if cr.expr is not None else None
            if inner is None:
                return Gap(FULL_GAP, [f"未满足：{cr.name}"])
            return Gap(inner.relative, inner.texts or [f"未满足：{cr.name}"])
        if name == "conditions_all":
            parts = [self.name_gap(c.id) for c in self.spec.conditions if not c.manual and self.env[c.id] is False]
            return Gap(sum(p.relative for p in parts), [t for p in parts for t in p.texts])
        if name == "direct_any":
            options = [self.name_gap(c.id) for c in self.spec.direct if not c.manual and self.env[c.id] is False]
            best = min(options, key=lambda g: g.relative) if options else Gap(FULL_GAP)
            return Gap(best.relative, [f"直通条件均未满足（最接近：{'；'.join(best.texts)}）"] if best.texts
                       else ["直通条件均未满足"])
        if name == "scoring_ok":
            return self.score_gap()
        label, _unit = self.label(name)
        return Gap(FULL_GAP, [f"未满足：{label}"])

    def missing_text(self, node: exp.Expr) -> str:
        names = sorted({c.this.name.lower() for c in node.find_all(exp.Column)})
        labels = "、".join(self.label(n)[0] for n in names)
        return f"无{labels}记录" if labels else f"未满足：{node.sql()}"

    def comparison(self, node: exp.Expr) -> Gap | None:
        left, right = node.this, node.expression
        while isinstance(left, exp.Paren):
            left = left.this
        while isinstance(right, exp.Paren):
            right = right.this
        kind = type(node)
        if not isinstance(left, exp.Column) and isinstance(right, exp.Column):
            left, right, kind = right, left, _FLIP[kind]
        if not isinstance(left, exp.Column):
            return None
        threshold = self.value(right)
        current = self.value(left)
        if not isinstance(threshold, int | float) or isinstance(threshold, bool) or current is None:
            return None
        if not isinstance(current, int | float) or isinstance(current, bool):
            return None
        name = left.this.name.lower()
        label, unit = self.label(name)
        distance = abs(float(threshold) - float(current))
        relative = FULL_GAP if threshold == 0 else min(FULL_GAP, distance / abs(float(threshold)))
        shown = _with_unit(current, unit)
        if unit == "年":
            shown = f"{number(current)} 年"
        if kind in _LOWER_BOUND:
            if distance == 0:  # "> X" with the value exactly X
                return Gap(relative or 1e-6, [f"{label} {shown}，须高于 {_with_unit(threshold, unit)}"])
            return Gap(relative, [f"{label} {shown}，差 {number(distance)} {_distance_unit(unit)}".rstrip()])
        if distance == 0:
            return Gap(relative or 1e-6, [f"{label} {shown}，须低于 {_with_unit(threshold, unit)}"])
        return Gap(relative, [f"{label} {shown}，超出 {number(distance)} {_distance_unit(unit)}".rstrip()])

    def score_gap(self) -> Gap:
        subscores = self.env["_subscores"] or {}
        texts: list[str] = []
        relative = 0.0
        total = subscores.get("_score") or {}
        score = self.env["score"]
        if self.spec.pass_score is not None:
            best = score if score is not None else total.get("hi")
            if best is not None and best < self.spec.pass_score:
                need = self.spec.pass_score - best
                prefix = "评价得分" if score is not None else "评价得分最高"
                texts.append(f"{prefix} {number(best)} 分，差 {number(need)} 分（须达到 {number(self.spec.pass_score)} 分）")
                relative += need / self.spec.pass_score
        for dim in self.spec.dimensions:
            if dim.min is None:
                continue
            sub = subscores.get(dim.id) or {}
            best = sub.get("value") if sub.get("value") is not None else sub.get("hi")
            if best is not None and best < dim.min:
                need = dim.min - best
                texts.append(f"{dim.name} {number(best)} 分，差 {number(need)} 分（最低 {number(dim.min)} 分）")
                relative += need / dim.min if dim.min else FULL_GAP
        return Gap(min(relative, 2 * FULL_GAP) if texts else FULL_GAP, texts or ["评价得分未达到要求"])


def _term_name(spec: RuleSpec, node: exp.Expr) -> str:
    names = {c.this.name.lower() for c in node.find_all(exp.Column)}
    scoring = {"scoring_ok", "score", "direct_any"} | {d.id for d in spec.dimensions} | {
        c.id for c in spec.direct}
    if names and names <= scoring:
        if "direct_any" in names or names & {c.id for c in spec.direct}:
            return "评价得分或直通条件"
        return "评价得分"
    return node.sql()


def units(spec: RuleSpec, env: _Env) -> list[Unit]:
    """The rule's criteria as counted for the pool, each with its result and gap."""
    analyser = _Analyser(spec, env)
    out: list[Unit] = []

    def criterion_unit(cr: Criterion) -> Unit:
        state = env[cr.id]
        unit = Unit(cr.id, cr.name, _tri(state), source=cr.source, mark=cr.mark)
        if state is False:
            gap = analyser.name_gap(cr.id)
            unit.text, unit.relative = "；".join(gap.texts), gap.relative
        elif state is None:
            unit.text = "数据不足"
        return unit

    for uid, term in pass_units(spec):  # the same units the engine counts in `failed_units`
        if uid in analyser.criteria:
            out.append(criterion_unit(analyser.criteria[uid]))
            continue
        state = evaluate(term, env)
        unit = Unit(uid, _term_name(spec, term), _tri(state))
        if state is False:
            gap = analyser.gap(term) or Gap(FULL_GAP, [f"未满足：{unit.name}"])
            unit.text, unit.relative = "；".join(gap.texts), gap.relative
        elif state is None:
            unit.text = "数据不足"
        out.append(unit)
    return out


def analyse(spec: RuleSpec, outcome: str, values: Mapping[str, Any], criteria: Mapping[str, Any],
            subscores: Mapping[str, Any], score: float | None) -> Analysis:
    env = environment(spec, values, criteria, subscores, score)
    return Analysis(outcome, units(spec, env))


def analyse_result(spec: RuleSpec, result: Any) -> Analysis:
    """Gap analysis of a stored rules.EvaluationResult (compact whole-base results are rebuilt from the
    frozen feature snapshot: `rules.evaluate.result_payload`)."""
    from industrybrain.rules.evaluate import result_payload

    data = result_payload(result)
    return analyse(spec, data["outcome"], data["values"], data["criteria"], data["subscores"], data["score"])


def criterion_gaps(spec: RuleSpec, env: _Env) -> dict[str, str]:
    """Gap wording for every failed non-manual criterion (conditions and direct paths)."""
    analyser = _Analyser(spec, env)
    out = {}
    for cr in spec.criteria:
        if not cr.manual and env[cr.id] is False:
            out[cr.id] = "；".join(analyser.name_gap(cr.id).texts)
    if env["scoring_ok"] is False:
        out["scoring_ok"] = "；".join(analyser.score_gap().texts)
    return out


def closeness_key(failed_count: int, relative_gap: float) -> tuple[int, float]:
    return failed_count, relative_gap if math.isfinite(relative_gap) else FULL_GAP * 10
