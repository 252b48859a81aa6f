"""Rule files (YAML): read, validate with positions, and build a RuleSpec the compiler and pyeval share.

A rule file states one version of an official criterion: identity, legal source, validity dates, the
boundary convention, hard conditions, direct-qualification alternatives, scored indicators grouped in
dimensions with sub-score minimums, and the pass expression. See docs/RULES.md for the format.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
from dataclasses import dataclass, field
from typing import Any

import yaml

from .features import NAMESPACE
from .language import NAME_RE, Expression, Problem, RuleSyntaxError, Type, parse

MARKS = ("已确认", "仅第三方", "记忆")
BOUNDARIES = {"[A,B)": "下限含、上限不含（“X以上”≥X，“X以下”<X）", "(A,B]": "下限不含、上限含"}
RESERVED = {"score", "scoring_ok", "direct_any", "conditions_all", "outcome", "enterprise_id", "region_code"}


@dataclass(frozen=True)
class FileProblem:
    path: str
    message: str
    line: int = 0
    col: int = 0
    detail: str = ""

    def render(self) -> str:
        where = f"第 {self.line} 行第 {self.col} 列" if self.line else "文件"
        text = f"{where} [{self.path or '/'}]：{self.message}"
        return text + (f"\n{self.detail}" if self.detail else "")


class RuleFileError(ValueError):
    def __init__(self, problems: list[FileProblem]):
        self.problems = problems
        super().__init__("\n".join(p.render() for p in problems))


@dataclass(frozen=True)
class Criterion:
    id: str
    name: str
    kind: str  # condition | direct
    expr: Expression | None  # None = manual confirmation
    source: str = ""
    mark: str = ""
    note: str = ""

    @property
    def manual(self) -> bool:
        return self.expr is None


@dataclass(frozen=True)
class Indicator:
    id: str
    name: str
    dimension: str
    max: float
    points: Expression  # number; NULL when the data are not enough
    min_points: float
    max_points: float
    value: Expression | None = None
    brackets: tuple[dict, ...] = ()
    source: str = ""
    mark: str = ""
    note: str = ""


@dataclass(frozen=True)
class Dimension:
    id: str
    name: str
    max: float
    min: float | None
    indicators: tuple[str, ...]


@dataclass
class RuleSpec:
    id: str
    name: str
    version: str
    valid_from: datetime.date
    valid_to: datetime.date | None
    source: dict
    boundary: str
    mark: str
    notes: str
    conditions: list[Criterion]
    direct: list[Criterion]
    dimensions: list[Dimension]
    indicators: list[Indicator]
    pass_score: float | None
    pass_expr: Expression
    text: str = ""
    checksum: str = ""
    features: frozenset[str] = field(default_factory=frozenset)

    @property
    def criteria(self) -> list[Criterion]:
        return self.conditions + self.direct

    @property
    def scored(self) -> bool:
        return bool(self.indicators)

    def pass_namespace(self) -> dict[str, Type]:
        return pass_namespace(self.criteria, self.indicators, self.dimensions)


def pass_units(spec: RuleSpec) -> list[tuple[str, Any]]:
    """The rule's criteria as an officer counts them: the pass expression split at its top-level ANDs,
    `conditions_all` expanded to each (non-manual) hard condition, TRUE/FALSE constants dropped.
    Returns (unit id, sqlglot tree over the pass namespace): a criterion id for a criterion, `score` for a
    term over the score, dimensions and direct paths (评价得分或直通条件), `term<n>` otherwise. Used to count
    the failed criteria of a result (stored as `failed_units`) and by the gap analysis of cultivation."""
    from sqlglot import exp

    def split(node: Any) -> list[Any]:
        while isinstance(node, exp.Paren):
            node = node.this
        if isinstance(node, exp.And):
            return split(node.this) + split(node.expression)
        return [node]

    ids = {c.id for c in spec.criteria if not c.manual}
    scoring = {"scoring_ok", "score", "direct_any"} | {d.id for d in spec.dimensions} | {c.id for c in spec.direct}
    out: list[tuple[str, Any]] = []
    for term in split(spec.pass_expr.tree):
        if isinstance(term, exp.Boolean):
            continue
        name = term.this.name.lower() if isinstance(term, exp.Column) else None
        if name == "conditions_all":
            out.extend((c.id, exp.column(c.id)) for c in spec.conditions if not c.manual)
        elif name in ids:
            out.append((name, term))
        else:
            names = {c.this.name.lower() for c in term.find_all(exp.Column)}
            out.append(("score" if names and names <= scoring else f"term{len(out) + 1}", term))
    return out


def pass_namespace(criteria, indicators, dimensions) -> dict[str, Type]:
    names: dict[str, Type] = {c.id: Type.BOOL for c in criteria if not c.manual}
    names.update({i.id: Type.NUMBER for i in indicators})
    names.update({d.id: Type.NUMBER for d in dimensions})
    names.update(score=Type.NUMBER, scoring_ok=Type.BOOL, direct_any=Type.BOOL, conditions_all=Type.BOOL)
    return names


# -- YAML with positions ----------------------------------------------------------------------

def _marks(node: yaml.Node, path: tuple, out: dict) -> None:
    out[path] = node
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out[(*path, "@key", key.value)] = key
            _marks(value, (*path, key.value), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            _marks(value, (*path, i), out)


def _path_str(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _Reader:
    def __init__(self, text: str):
        self.text = text
        self.lines = text.splitlines()
        self.problems: list[FileProblem] = []
        self.nodes: dict[tuple, yaml.Node] = {}

    def pos(self, path: tuple) -> tuple[int, int]:
        while path and path not in self.nodes:
            path = path[:-1]
        node = self.nodes.get(path)
        if node is None:
            return 0, 0
        return node.start_mark.line + 1, node.start_mark.column + 1

    def error(self, path: tuple, message: str) -> None:
        line, col = self.pos(path)
        self.problems.append(FileProblem(_path_str(path), message, line, col))

    def expression(self, data: Any, path: tuple, names: dict[str, Type], expect: Type) -> Expression | None:
        if not isinstance(data, str | int | float) or isinstance(data, bool):
            self.error(path, "应为表达式文本")
            return None
        try:
            return parse(str(data), names, expect=expect)
        except RuleSyntaxError as err:
            for problem in err.problems:
                self._expression_problem(path, str(data), problem)
            return None

    def _expression_problem(self, path: tuple, text: str, problem: Problem) -> None:
        node = self.nodes.get(path)
        line, col = self.pos(path)
        if isinstance(node, yaml.ScalarNode):
            if node.style in ("|", ">"):
                line = line + problem.line
                src = self.lines[line - 1] if line - 1 < len(self.lines) else ""
                col = len(src) - len(src.lstrip()) + problem.col
            else:
                line += problem.line - 1
                col = (col + (1 if node.style in ("'", '"') else 0) + problem.col - 1) if problem.line == 1 \
                    else problem.col
        self.problems.append(FileProblem(_path_str(path), problem.message, line, col,
                                         problem.render(text).split("\n", 1)[1]))


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _number(reader: _Reader, data: dict, key: str, path: tuple, required: bool = False) -> float | None:
    value = data.get(key)
    if value is None:
        if required:
            reader.error(path, f"缺少 {key}")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        reader.error((*path, key), f"{key} 应为数字")
        return None
    return float(value)


def _fmt(x: float) -> str:
    return repr(float(x))


# -- the reader -------------------------------------------------------------------------------

def load_rule(text: str) -> RuleSpec:
    """Validate a rule file and build its RuleSpec; raise RuleFileError listing every problem.

    Specs are cached by text (treat them as read-only)."""
    return _load_rule(text)


@functools.lru_cache(maxsize=128)
def _load_rule(text: str) -> RuleSpec:
    reader = _Reader(text)
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise RuleFileError([FileProblem("", f"YAML 格式错误：{getattr(err, 'problem', err)}",
                                         mark.line + 1 if mark else 0, mark.column + 1 if mark else 0)]) from None
    if not isinstance(data, dict) or root is None:
        raise RuleFileError([FileProblem("", "规则文件应为 YAML 映射（键: 值）")])
    _marks(root, (), reader.nodes)
    spec = _build(reader, data)
    if reader.problems or spec is None:
        raise RuleFileError(reader.problems)
    spec.text = text
    spec.checksum = hashlib.sha256(text.encode()).hexdigest()
    return spec


KNOWN_KEYS = {"id", "name", "version", "valid_from", "valid_to", "source", "boundary", "mark", "notes",
              "conditions", "direct", "scoring", "pass", "tests"}


def _build(r: _Reader, data: dict) -> RuleSpec | None:
    for key in data:
        if key not in KNOWN_KEYS:
            r.error(("@key", key), f"未知的键：{key}（可用：{'、'.join(sorted(KNOWN_KEYS))}）")
    rule_id = _text(data.get("id"))
    if not NAME_RE.match(rule_id):
        r.error(("id",), "id 必填，只能用小写字母、数字和下划线，以字母开头")
    for key in ("name", "version"):
        if not _text(data.get(key)):
            r.error((key,), f"缺少 {key}")
    valid_from, valid_to = data.get("valid_from"), data.get("valid_to")
    if not isinstance(valid_from, datetime.date):
        r.error(("valid_from",), "valid_from 必填，格式 YYYY-MM-DD")
    if valid_to is not None and not isinstance(valid_to, datetime.date):
        r.error(("valid_to",), "valid_to 格式应为 YYYY-MM-DD")
    if isinstance(valid_from, datetime.date) and isinstance(valid_to, datetime.date) and valid_to < valid_from:
        r.error(("valid_to",), "valid_to 早于 valid_from")
    source = data.get("source")
    if not isinstance(source, dict) or not _text(source.get("document")):
        r.error(("source",), "source 必填，至少写明 document（文件名称与文号），建议写 article（条款/附件）")
        source = source if isinstance(source, dict) else {}
    boundary = _text(data.get("boundary")) or "[A,B)"
    if boundary not in BOUNDARIES:
        r.error(("boundary",), f"boundary 只能是 {' 或 '.join(BOUNDARIES)}")
    mark = _text(data.get("mark"))
    if mark and mark not in MARKS:
        r.error(("mark",), f"mark 只能是 {'、'.join(MARKS)}")

    seen: set[str] = set()
    conditions = _criteria(r, data.get("conditions"), ("conditions",), "condition", seen)
    direct = _criteria(r, data.get("direct"), ("direct",), "direct", seen)
    dimensions, indicators, pass_score = _scoring(r, data.get("scoring"), boundary, seen)

    names = pass_namespace(conditions + direct, indicators, dimensions)
    pass_text = data.get("pass")
    if pass_text is None:
        parts = []
        if any(not c.manual for c in conditions):
            parts.append("conditions_all")
        alternatives = [n for n, present in (("direct_any", any(not c.manual for c in direct)),
                                             ("scoring_ok", bool(indicators))) if present]
        if alternatives:
            parts.append(f"({' OR '.join(alternatives)})")
        pass_text = " AND ".join(parts) or "TRUE"
    pass_expr = r.expression(pass_text, ("pass",), names, Type.BOOL)
    if r.problems or pass_expr is None or not isinstance(valid_from, datetime.date):
        return None
    features: set[str] = set()
    for c in conditions + direct:
        if c.expr is not None:
            features |= c.expr.names
    for ind in indicators:
        features |= ind.points.names
        if ind.value is not None:
            features |= ind.value.names
    return RuleSpec(
        id=rule_id, name=_text(data["name"]), version=_text(data["version"]), valid_from=valid_from,
        valid_to=valid_to if isinstance(valid_to, datetime.date) else None, source=dict(source),
        boundary=boundary, mark=mark, notes=_text(data.get("notes")), conditions=conditions, direct=direct,
        dimensions=dimensions, indicators=indicators, pass_score=pass_score, pass_expr=pass_expr,
        features=frozenset(features))


def _new_id(r: _Reader, item: dict, path: tuple, seen: set[str]) -> str:
    cid = _text(item.get("id")).lower()
    if not NAME_RE.match(cid):
        r.error((*path, "id"), "id 必填，只能用小写字母、数字和下划线，以字母开头")
    elif cid in seen or cid in NAMESPACE or cid in RESERVED:
        r.error((*path, "id"), f"id 重复或与特征名/保留字冲突：{cid}")
    seen.add(cid)
    return cid


def _common(r: _Reader, item: dict, path: tuple) -> dict:
    mark = _text(item.get("mark"))
    if mark and mark not in MARKS:
        r.error((*path, "mark"), f"mark 只能是 {'、'.join(MARKS)}")
    if not _text(item.get("name")):
        r.error((*path, "name"), "缺少 name")
    return {"name": _text(item.get("name")), "source": _text(item.get("source")), "mark": mark,
            "note": _text(item.get("note"))}


def _criteria(r: _Reader, items: Any, path: tuple, kind: str, seen: set[str]) -> list[Criterion]:
    if items is None:
        return []
    if not isinstance(items, list):
        r.error(path, "应为列表")
        return []
    out = []
    for i, item in enumerate(items):
        p = (*path, i)
        if not isinstance(item, dict):
            r.error(p, "每一项应为映射（id、name、expr…）")
            continue
        cid = _new_id(r, item, p, seen)
        common = _common(r, item, p)
        expr = None
        if item.get("manual") is True:
            if "expr" in item:
                r.error((*p, "expr"), "人工确认项（manual: true）不写 expr")
        elif "expr" not in item:
            r.error(p, "缺少 expr（需要人工判断的条件请写 manual: true）")
        else:
            expr = r.expression(item["expr"], (*p, "expr"), NAMESPACE, Type.BOOL)
        out.append(Criterion(cid, common["name"], kind, expr, common["source"], common["mark"], common["note"]))
    return out


def _scoring(r: _Reader, scoring: Any, boundary: str, seen: set[str]):
    if scoring is None:
        return [], [], None
    path = ("scoring",)
    if not isinstance(scoring, dict):
        r.error(path, "scoring 应为映射（pass_score、dimensions）")
        return [], [], None
    pass_score = _number(r, scoring, "pass_score", path)
    dims_data = scoring.get("dimensions")
    if not isinstance(dims_data, list) or not dims_data:
        r.error((*path, "dimensions"), "scoring.dimensions 应为非空列表")
        return [], [], pass_score
    dimensions, indicators = [], []
    for d, dim in enumerate(dims_data):
        dp = (*path, "dimensions", d)
        if not isinstance(dim, dict):
            r.error(dp, "每个维度应为映射")
            continue
        did = _new_id(r, dim, dp, seen)
        common = _common(r, dim, dp)
        dmax = _number(r, dim, "max", dp, required=True) or 0.0
        dmin = _number(r, dim, "min", dp)
        ind_ids = []
        inds = dim.get("indicators")
        if not isinstance(inds, list) or not inds:
            r.error((*dp, "indicators"), "indicators 应为非空列表")
            inds = []
        for k, item in enumerate(inds):
            ip = (*dp, "indicators", k)
            if not isinstance(item, dict):
                r.error(ip, "每个指标应为映射")
                continue
            ind = _indicator(r, item, ip, did, boundary, seen)
            if ind is not None:
                indicators.append(ind)
                ind_ids.append(ind.id)
        total = sum(i.max for i in indicators if i.dimension == did)
        if ind_ids and abs(total - dmax) > 1e-9:
            r.error((*dp, "max"), f"维度满分 {dmax:g} 与指标满分之和 {total:g} 不一致")
        if dmin is not None and dmin > dmax:
            r.error((*dp, "min"), "维度最低分高于满分")
        dimensions.append(Dimension(did, common["name"], dmax, dmin, tuple(ind_ids)))
    return dimensions, indicators, pass_score


def _indicator(r: _Reader, item: dict, path: tuple, dimension: str, boundary: str, seen: set[str]):
    iid = _new_id(r, item, path, seen)
    common = _common(r, item, path)
    imax = _number(r, item, "max", path, required=True)
    if imax is None:
        return None
    value = None
    if "value" in item:
        value = r.expression(item["value"], (*path, "value"), NAMESPACE, Type.NUMBER)
    if ("brackets" in item) == ("points" in item):
        r.error(path, "每个指标写 brackets（档位）或 points（计分公式）之一")
        return None
    if "points" in item:
        formula = r.expression(item["points"], (*path, "points"), NAMESPACE, Type.NUMBER)
        if formula is None:
            return None
        text = f"GREATEST(0, LEAST({_fmt(imax)}, ({formula.text})))"
        return Indicator(iid, common["name"], dimension, imax, parse(text, NAMESPACE, Type.NUMBER), 0.0, imax,
                         value, (), common["source"], common["mark"], common["note"])
    brackets = item["brackets"]
    if not isinstance(brackets, list) or not brackets:
        r.error((*path, "brackets"), "brackets 应为非空列表")
        return None
    whens: list[str | None] = []
    points: list[float] = []
    ranges: list[tuple] = []
    for b, bracket in enumerate(brackets):
        bp = (*path, "brackets", b)
        if not isinstance(bracket, dict):
            r.error(bp, "每个档位应为映射（from/to 或 when，points）")
            return None
        pts = _number(r, bracket, "points", bp, required=True)
        if pts is None:
            return None
        if pts < 0 or pts > imax:
            r.error((*bp, "points"), f"档位得分 {pts:g} 超出 0–{imax:g}")
        points.append(pts)
        if "when" in bracket:
            if "from" in bracket or "to" in bracket:
                r.error(bp, "同一档位不要同时写 when 和 from/to")
            cond = r.expression(bracket["when"], (*bp, "when"), NAMESPACE, Type.BOOL)
            whens.append(f"({cond.text})" if cond else "TRUE")
        elif bracket.get("else") is True:
            if b != len(brackets) - 1:
                r.error(bp, "else 档位必须放在最后")
            whens.append(None)
        else:
            if value is None:
                r.error(path, "按区间分档（from/to）需要先写 value（被分档的数值）")
                return None
            lo, hi = _number(r, bracket, "from", bp), _number(r, bracket, "to", bp)
            ranges.append((lo, hi, bp))
            v = f"({value.text})"
            lower_op, upper_op = (">=", "<") if boundary == "[A,B)" else (">", "<=")
            parts = ([f"{v} {lower_op} {_fmt(lo)}"] if lo is not None else []) + \
                    ([f"{v} {upper_op} {_fmt(hi)}"] if hi is not None else [])
            whens.append(" AND ".join(parts) or f"{v} = {v}")
    if ranges and len(ranges) != len(brackets):
        r.error((*path, "brackets"), "区间档位（from/to）不要与 when/else 档位混用")
        return None
    if ranges:
        _check_coverage(r, ranges, (*path, "brackets"))
    if any(w is None for w in whens[:-1]):
        return None
    body = " ".join(f"WHEN {w} THEN {_fmt(p)}" for w, p in zip(whens, points, strict=True) if w is not None)
    tail = f" ELSE {_fmt(points[-1])}" if whens[-1] is None else ""
    try:
        expr = parse(f"CASE {body}{tail} END", NAMESPACE, Type.NUMBER)
    except RuleSyntaxError:
        return None  # the parts were refused above, with their positions
    if max(points) > imax + 1e-9:
        return None
    return Indicator(iid, common["name"], dimension, imax, expr, min(points), max(points), value,
                     tuple(dict(b) for b in brackets), common["source"], common["mark"], common["note"])


def _check_coverage(r: _Reader, ranges: list, path: tuple) -> None:
    """Interval brackets must tile the number line: no gap, no overlap, open at both ends."""
    ordered = sorted(ranges, key=lambda t: float("-inf") if t[0] is None else t[0])
    if ordered[0][0] is not None:
        r.error(ordered[0][2], f"档位未覆盖 {ordered[0][0]:g} 以下的值（最低一档请省略 from）")
    if ordered[-1][1] is not None:
        r.error(ordered[-1][2], f"档位未覆盖 {ordered[-1][1]:g} 以上的值（最高一档请省略 to）")
    for (lo, hi, bp), (nlo, _nhi, nbp) in zip(ordered, ordered[1:], strict=False):
        if lo is not None and hi is not None and hi <= lo:
            r.error(bp, f"档位区间为空：from {lo:g} ≥ to {hi:g}")
        if hi is None or nlo is None or hi != nlo:
            r.error(nbp, f"档位不连续或重叠：上一档到 {hi if hi is not None else '∞'}，本档从 {nlo} 开始")
