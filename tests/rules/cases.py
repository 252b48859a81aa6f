"""Run the YAML test cases that live beside each rule file (the OpenFisca way: written from the document)."""

from __future__ import annotations

import copy
import datetime
from pathlib import Path
from typing import Any

import yaml

from industrybrain.registry.models import Certification, YearlyFact
from industrybrain.rules import evaluate, pyeval
from industrybrain.rules.features import ATTRIBUTES
from industrybrain.rules.models import EnterpriseAttribute
from industrybrain.rules.rulefile import RuleSpec, load_rule
from tests import factories

LIBRARY = Path(__file__).resolve().parents[2] / "src" / "industrybrain" / "rules" / "library"


def case_files() -> list[Path]:
    return sorted(LIBRARY.rglob("*.cases.yaml"))


def rule_files() -> list[Path]:
    return sorted(p for p in LIBRARY.rglob("*.yaml")
                  if not p.name.endswith(".cases.yaml") and p.parent.name != "provinces")


def load_cases(path: Path) -> tuple[RuleSpec, dict, list[dict]]:
    from industrybrain.rules.loader import apply_province

    suite = yaml.safe_load(path.read_text(encoding="utf-8"))
    text = (path.parent / suite["rule"]).read_text(encoding="utf-8")
    spec = load_rule(apply_province(text, suite.get("province")))
    return spec, suite, suite["cases"]


def merge(base: Any, given: Any) -> Any:
    """Deep merge: mappings merge key by key; a null deletes; anything else replaces."""
    if isinstance(base, dict) and isinstance(given, dict):
        out = copy.deepcopy(base)
        for key, value in given.items():
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = merge(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
        return out
    return copy.deepcopy(given)


def build_enterprise(data: dict, attributes_as_of: datetime.date):
    ent = factories.enterprise(data.get("region", "330106"), data.get("industry", "3973"),
                               founded_on=data.get("founded_on"))
    for year, values in (data.get("yearly") or {}).items():
        YearlyFact.objects.create(enterprise=ent, year=int(year), **values)
    for cert in data.get("certifications") or []:
        Certification.objects.create(enterprise=ent, kind=cert["kind"], name=cert.get("name", cert["kind"]),
                                     issued_on=cert["issued_on"], valid_until=cert.get("valid_until"))
    for code, value in (data.get("attributes") or {}).items():
        attr = ATTRIBUTES[code]
        EnterpriseAttribute.objects.create(enterprise=ent, code=code, as_of=attributes_as_of,
                                           **{f"value_{attr.type.value}": value})
    return ent


def check(spec: RuleSpec, row: dict, expect: dict) -> list[str]:
    """Mismatches between a result row and the expectations of a case."""
    out = []

    def same(got: Any, want: Any) -> bool:
        if want is None or got is None:
            return want is got
        if isinstance(want, int | float) and not isinstance(want, bool):
            return isinstance(got, int | float) and abs(float(got) - float(want)) < 1e-9
        return bool(got == want)

    outcome = evaluate.outcome_of(row["outcome"])
    if "outcome" in expect and outcome != expect["outcome"]:
        out.append(f"outcome {outcome} ≠ {expect['outcome']}")
    if "score" in expect and not same(row["score"], expect["score"]):
        out.append(f"score {row['score']} ≠ {expect['score']}")
    for key, prefix in (("points", "p_"), ("dimensions", "d_"), ("features", "f_")):
        for name, want in (expect.get(key) or {}).items():
            got = row[f"{prefix}{name}"]
            if isinstance(want, datetime.date):
                want = want
            if not same(got, want):
                out.append(f"{key}.{name} {got!r} ≠ {want!r}")
    stored = evaluate.payload(spec, row)["criteria"]
    for name, want in (expect.get("criteria") or {}).items():
        if stored[name] != want:
            out.append(f"criteria.{name} {stored[name]} ≠ {want}")
    return out


def run_case(spec: RuleSpec, suite: dict, case: dict) -> tuple[dict, dict]:
    """Build the case's enterprise; evaluate it in SQL and in Python."""
    as_of = suite["as_of"]
    data = merge(suite["base"], case.get("given") or {})
    ent = build_enterprise(data, as_of - datetime.timedelta(days=1))
    sql_rows = evaluate.run(spec, as_of, [ent.pk])
    py_rows = pyeval.evaluate_all(spec, as_of, [ent.pk])
    assert len(sql_rows) == 1 and len(py_rows) == 1
    return sql_rows[0], py_rows[0]
