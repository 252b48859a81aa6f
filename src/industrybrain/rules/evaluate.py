"""Run a rule in the database, store per-enterprise results, explain one result, preview a draft.

    evaluate_rule("innovative_sme", as_of)            → Evaluation (stored, bulk inserts)
    run(spec, as_of, enterprise_ids=None)             → rows (one SQL statement, nothing stored)
    explain(spec, row)                                → every criterion with value, threshold, result
    preview(spec, as_of)                              → counts by region (aggregated in SQL)
"""

from __future__ import annotations

import datetime
import hashlib
import time
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction

from . import features as F
from .compiler import dialect_for, preview_statement, statement
from .language import Type
from .models import Evaluation, EvaluationResult, Outcome, Rule, RuleVersion
from .rulefile import RuleSpec, load_rule

BATCH = 5000


class RuleNotFound(LookupError):
    pass


def version_for(rule_code: str, as_of: datetime.date) -> RuleVersion:
    rule = Rule.objects.filter(code=rule_code).first()
    if rule is None:
        raise RuleNotFound(f"规则不存在：{rule_code}（请先运行 ib_rules load）")
    version = rule.version_on(as_of)
    if version is None:
        raise RuleNotFound(f"规则 {rule_code} 在 {as_of} 没有生效的版本")
    return version


def column_types(spec: RuleSpec) -> dict[str, Type]:
    types: dict[str, Type] = {f"f_{code}": F.FEATURES[code].type for code in spec.features}
    types.update({f"c_{c.id}": Type.BOOL for c in spec.criteria if not c.manual})
    for name in ("scoring_ok", "direct_any", "conditions_all", "outcome"):
        types[name] = Type.BOOL
    return types


def _normalize(value: Any, typ: Type | None) -> Any:
    if value is None:
        return None
    if typ == Type.BOOL:
        return bool(value)
    if typ == Type.TEXT:
        return str(value)
    if typ == Type.DATE:
        return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value))
    if isinstance(value, int | float):
        return float(value)
    return value


def run(spec: RuleSpec, as_of: datetime.date, enterprise_ids: Iterable[int] | None = None) -> list[dict]:
    """Evaluate in the database with one statement; rows keyed like pyeval.evaluate_rule."""
    stmt = statement(spec, dialect_for(connection.vendor), as_of, enterprise_ids)
    types = column_types(spec)
    # SQLite returns 0/1 for logical values and text for dates; numbers are already doubles everywhere.
    sqlite = connection.vendor == "sqlite"
    bools = [i for i, c in enumerate(stmt.columns) if types.get(c) == Type.BOOL] if sqlite else []
    dates = [i for i, c in enumerate(stmt.columns) if types.get(c) == Type.DATE]
    with connection.cursor() as cursor:
        cursor.execute(stmt.sql, stmt.params)
        raw = cursor.fetchall()
    columns = stmt.columns
    if not bools and not dates:
        return [dict(zip(columns, values, strict=True)) for values in raw]
    rows = []
    for values in raw:
        fixed = list(values)
        for i in bools:
            if fixed[i] is not None:
                fixed[i] = fixed[i] != 0
        for i in dates:
            if fixed[i] is not None:
                fixed[i] = _normalize(fixed[i], Type.DATE)
        rows.append(dict(zip(columns, fixed, strict=True)))
    return rows


def outcome_of(value: Any) -> str:
    return Outcome.UNKNOWN if value is None else (Outcome.PASS if value else Outcome.FAIL)


def _tri(value: Any) -> str:
    return "unknown" if value is None else ("pass" if value else "fail")


def payload(spec: RuleSpec, row: dict) -> dict:
    """What is stored per enterprise: outcome, score, sub-scores, criteria and the values used."""
    criteria: dict[str, Any] = {}
    for cr in spec.criteria:
        criteria[cr.id] = "manual" if cr.manual else _tri(row[f"c_{cr.id}"])
    for ind in spec.indicators:
        criteria[ind.id] = row[f"p_{ind.id}"]
    subscores = {d.id: {"value": row[f"d_{d.id}"], "lo": row[f"d_{d.id}_lo"], "hi": row[f"d_{d.id}_hi"]}
                 for d in spec.dimensions}
    if spec.indicators:
        subscores["_score"] = {"lo": row["score_lo"], "hi": row["score_hi"]}
    values = {code: _jsonable(row[f"f_{code}"]) for code in sorted(spec.features)}
    return {"outcome": outcome_of(row["outcome"]), "score": row["score"], "subscores": subscores,
            "criteria": criteria, "values": values}


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.date) else value


@transaction.atomic
def evaluate_rule(rule_code: str | RuleVersion, as_of: datetime.date, enterprise_ids: Iterable[int] | None = None,
                  user=None) -> Evaluation:
    version = rule_code if isinstance(rule_code, RuleVersion) else version_for(rule_code, as_of)
    spec = load_rule(version.text)
    ids = None if enterprise_ids is None else list(enterprise_ids)
    started = time.perf_counter()
    stmt = statement(spec, dialect_for(connection.vendor), as_of, ids)
    rows = run(spec, as_of, ids)
    evaluation = Evaluation.objects.create(
        rule_version=version, as_of=as_of, dialect=dialect_for(connection.vendor), subset=ids is not None,
        sql_checksum=hashlib.sha256(stmt.sql.encode()).hexdigest(), triggered_by=user)
    counts = {Outcome.PASS: 0, Outcome.FAIL: 0, Outcome.UNKNOWN: 0}
    writer = _ResultWriter(evaluation.pk)
    for row in rows:
        data = payload(spec, row)
        counts[data["outcome"]] += 1
        writer.add(row["enterprise_id"], data)
    writer.flush()
    evaluation.enterprise_count = len(rows)
    evaluation.pass_count, evaluation.fail_count = counts[Outcome.PASS], counts[Outcome.FAIL]
    evaluation.unknown_count = counts[Outcome.UNKNOWN]
    evaluation.duration_ms = int((time.perf_counter() - started) * 1000)
    evaluation.save()
    return evaluation


class _ResultWriter:
    """Multi-row inserts of results (executemany); names from `_meta`, values bound, JSON adapted by Django."""

    def __init__(self, evaluation_id: int):
        meta = EvaluationResult._meta
        qn = connection.ops.quote_name
        self.fields: list[Any] = [meta.get_field(n) for n in ("evaluation", "enterprise", "outcome", "score",
                                                                "subscores", "criteria", "values")]
        cols = ", ".join(qn(f.column) for f in self.fields)
        self.sql = f"INSERT INTO {qn(meta.db_table)} ({cols}) VALUES ({', '.join(['%s'] * len(self.fields))})"  # noqa: S608
        self.evaluation_id = evaluation_id
        self.json = self.fields[4]
        self.batch: list[tuple] = []

    def add(self, enterprise_id: int, data: dict) -> None:
        adapt = self.json.get_db_prep_value
        self.batch.append((self.evaluation_id, enterprise_id, data["outcome"], data["score"],
                           adapt(data["subscores"], connection), adapt(data["criteria"], connection),
                           adapt(data["values"], connection)))
        if len(self.batch) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.batch:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, self.batch)
            self.batch = []


# -- explanation -------------------------------------------------------------------------------

def _feature_values(names: Iterable[str], row: dict) -> list[dict]:
    out = []
    for code in sorted(names):
        feature = F.FEATURES[code]
        out.append({"code": code, "label": feature.label, "unit": feature.unit,
                    "value": _jsonable(row.get(f"f_{code}"))})
    return out


def explain(spec: RuleSpec, row: dict) -> dict:
    """Every criterion with the values it read, its threshold (the expression) and its result."""
    criteria = []
    for cr in spec.criteria:
        criteria.append({
            "id": cr.id, "kind": cr.kind, "name": cr.name, "threshold": cr.expr.text if cr.expr else "人工确认",
            "values": _feature_values(cr.expr.names, row) if cr.expr else [],
            "result": "manual" if cr.manual else _tri(row[f"c_{cr.id}"]),
            "source": cr.source, "mark": cr.mark,
        })
    indicators = []
    for ind in spec.indicators:
        names = set(ind.points.names) | (set(ind.value.names) if ind.value else set())
        indicators.append({
            "id": ind.id, "dimension": ind.dimension, "name": ind.name, "max": ind.max,
            "value_expr": ind.value.text if ind.value else None, "values": _feature_values(names, row),
            "points": row[f"p_{ind.id}"], "brackets": list(ind.brackets), "source": ind.source, "mark": ind.mark,
        })
    dims = [{"id": d.id, "name": d.name, "max": d.max, "min": d.min, "value": row[f"d_{d.id}"],
             "lo": row[f"d_{d.id}_lo"], "hi": row[f"d_{d.id}_hi"]} for d in spec.dimensions]
    return {"rule": spec.id, "version": spec.version, "name": spec.name, "source": spec.source,
            "enterprise_id": row["enterprise_id"], "outcome": outcome_of(row["outcome"]),
            "score": row["score"], "score_lo": row["score_lo"], "score_hi": row["score_hi"],
            "pass_score": spec.pass_score, "pass": spec.pass_expr.text, "criteria": criteria,
            "indicators": indicators, "dimensions": dims,
            "scoring_ok": _tri(row["scoring_ok"]), "direct_any": _tri(row["direct_any"]),
            "conditions_all": _tri(row["conditions_all"])}


# -- preview -----------------------------------------------------------------------------------

def preview(spec: RuleSpec | str, as_of: datetime.date) -> list[dict]:
    """How many enterprises would pass a (draft) rule, per county region; aggregated in the database."""
    if isinstance(spec, str):
        spec = load_rule(spec)
    stmt = preview_statement(spec, dialect_for(connection.vendor), as_of)
    with connection.cursor() as cursor:
        cursor.execute(stmt.sql, stmt.params)
        rows = cursor.fetchall()
    return [dict(zip(stmt.columns, (r[0], *(int(v or 0) for v in r[1:])), strict=True)) for r in rows]


def preview_by_level(spec: RuleSpec | str, as_of: datetime.date, level: int = 2) -> list[dict]:
    """Preview rolled up to a region level (1 province, 2 city, 3 county) using the region tree."""
    from industrybrain.core.models import Region

    counts = preview(spec, as_of)
    regions = {r.code: r for r in Region.objects.all()}
    rolled: dict[str, dict] = {}
    for row in counts:
        region = regions.get(row["region_code"])
        while region is not None and region.level > level:
            region = region.parent
        code = region.code if region is not None else row["region_code"]
        name = region.name if region is not None else ""
        agg = rolled.setdefault(code, {"region_code": code, "region_name": name, "passed": 0, "failed": 0,
                                       "unknown": 0, "total": 0})
        for key in ("passed", "failed", "unknown", "total"):
            agg[key] += row[key]
    return sorted(rolled.values(), key=lambda r: r["region_code"])
