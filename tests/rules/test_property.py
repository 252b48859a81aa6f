"""Property tests: the SQL path and the plain-Python path agree, on random data and random rules.

Run on whichever database the suite is configured for (SQLite by default, PostgreSQL with
IB_DATABASE=postgres), so CI runs it on both.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import yaml
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from industrybrain.registry.models import Certification, YearlyFact
from industrybrain.rules import evaluate, pyeval
from industrybrain.rules.features import ATTRIBUTES, CERTIFICATION_KINDS, FEATURES
from industrybrain.rules.language import Type
from industrybrain.rules.models import EnterpriseAttribute
from industrybrain.rules.rulefile import load_rule
from tests import factories
from tests.rules.util import both

AS_OF = datetime.date(2024, 5, 20)
NUMBERS = [c for c, f in FEATURES.items() if f.type == Type.NUMBER]
BOOLS = [c for c, f in FEATURES.items() if f.type == Type.BOOL]
TEXTS = {"size_class_last_year": ["micro", "small", "medium", "large"], "region_code": ["330106", "330203"],
         "rd_institute_level": ["national", "provincial", "city", "none"],
         "leading_product_field": ["chain_key", "other"]}
LITERALS = st.sampled_from(["0", "1", "2", "3", "0.5", "5", "10", "60", "100", "1000", "2.25", "-3"])


# -- random expressions (text in the rule language) -------------------------------------------

def numbers(names: list[str]) -> st.SearchStrategy[str]:
    leaf = st.one_of(st.sampled_from(names), LITERALS)

    def extend(inner):
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda a: f"-({a})"),
            st.tuples(st.sampled_from(["ABS", "FLOOR", "CEIL"]), inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(inner, st.integers(0, 2)).map(lambda t: f"ROUND({t[0]}, {t[1]})"),
            st.tuples(st.sampled_from(["LEAST", "GREATEST", "MIN", "MAX", "COALESCE"]), inner, inner)
            .map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
            st.tuples(comparisons(inner), inner, inner).map(lambda t: f"CASE WHEN {t[0]} THEN {t[1]} ELSE {t[2]} END"),
        )

    return st.recursive(leaf, extend, max_leaves=6)


def comparisons(num: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(num, st.sampled_from(["=", "<>", ">", ">=", "<", "<="]), num).map(lambda t: f"{t[0]} {t[1]} {t[2]}")


def booleans(names: list[str]) -> st.SearchStrategy[str]:
    num = numbers(names)
    leaf = st.one_of(
        comparisons(num),
        st.sampled_from(BOOLS),
        st.tuples(num, LITERALS, LITERALS).map(lambda t: f"{t[0]} BETWEEN {t[1]} AND {t[2]}"),
        st.tuples(num, st.lists(LITERALS, min_size=1, max_size=3)).map(lambda t: f"{t[0]} IN ({', '.join(t[1])})"),
        st.sampled_from(names).map(lambda n: f"{n} IS NULL"),
        st.sampled_from(sorted(TEXTS)).flatmap(lambda n: st.sampled_from(TEXTS[n]).map(lambda v: f"{n} = '{v}'")),
    )

    def extend(inner):
        return st.one_of(
            st.tuples(inner, st.sampled_from(["AND", "OR"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda a: f"NOT ({a})"),
            inner.map(lambda a: f"COALESCE({a}, FALSE)"),
        )

    return st.recursive(leaf, extend, max_leaves=4)


# -- random enterprises -------------------------------------------------------------------------

MONEY = st.one_of(st.none(), st.sampled_from([Decimal(v) for v in
                                                ("0", "0.01", "1", "99.99", "100", "150", "1234.56", "2000",
                                                 "5000", "-50", "40000", "999999.99")]))
COUNT = st.one_of(st.none(), st.sampled_from([0, 1, 3, 19, 20, 300, 1000]))


@st.composite
def enterprise_data(draw):
    years = {}
    for year in draw(st.sets(st.sampled_from([AS_OF.year - 1, AS_OF.year - 2, AS_OF.year - 3]))):
        years[year] = {
            "revenue": draw(MONEY), "main_business_revenue": draw(MONEY), "rd_expense": draw(MONEY),
            "net_profit": draw(MONEY), "total_assets": draw(MONEY), "total_liabilities": draw(MONEY),
            "staff": draw(COUNT), "rd_staff": draw(COUNT), "ip_class1": draw(COUNT), "ip_class2": draw(COUNT),
        }
    attrs = {}
    for code in draw(st.sets(st.sampled_from(sorted(ATTRIBUTES)), max_size=8)):
        attr = ATTRIBUTES[code]
        if attr.type == Type.NUMBER:
            attrs[code] = draw(st.sampled_from([0.0, 1.0, 3.0, 5.0, 500.0, 2000.0, 6000.0]))
        elif attr.type == Type.BOOL:
            attrs[code] = draw(st.booleans())
        elif attr.type == Type.DATE:
            attrs[code] = draw(st.dates(datetime.date(2010, 1, 1), datetime.date(2025, 1, 1)))
        else:
            attrs[code] = draw(st.sampled_from([c for c, _ in attr.choices] or ["other"]))
    certs = draw(st.lists(st.tuples(st.sampled_from(sorted(CERTIFICATION_KINDS)),
                                    st.dates(datetime.date(2019, 1, 1), datetime.date(2025, 1, 1)),
                                    st.one_of(st.none(), st.dates(datetime.date(2022, 1, 1), datetime.date(2027, 1, 1)))),
                          max_size=2))
    founded = draw(st.one_of(st.none(), st.dates(datetime.date(1990, 1, 1), datetime.date(2024, 12, 31))))
    return {"years": years, "attrs": attrs, "certs": certs, "founded": founded}


def create(data) -> int:
    ent = factories.enterprise("330106", "3973", founded_on=data["founded"])
    for year, values in data["years"].items():
        YearlyFact.objects.create(enterprise=ent, year=year, **values)
    for kind, issued, until in data["certs"]:
        Certification.objects.create(enterprise=ent, kind=kind, name=kind, issued_on=issued, valid_until=until)
    for code, value in data["attrs"].items():
        EnterpriseAttribute.objects.create(enterprise=ent, code=code, as_of=datetime.date(2024, 1, 1),
                                           **{f"value_{ATTRIBUTES[code].type.value}": value})
    return ent.pk


# -- random rules -------------------------------------------------------------------------------

@st.composite
def rules(draw):
    names = draw(st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=4, unique=True))
    num, cond = numbers(names), booleans(names)
    conditions = [{"id": f"c{i}", "name": f"条件{i}", "expr": draw(cond)} for i in range(draw(st.integers(0, 2)))]
    direct = [{"id": f"k{i}", "name": f"直通{i}", "expr": draw(cond)} for i in range(draw(st.integers(0, 2)))]
    dims, n = [], 0
    for d in range(draw(st.integers(0, 2))):
        inds = []
        for _ in range(draw(st.integers(1, 2))):
            n += 1
            kind = draw(st.sampled_from(["range", "when", "formula"]))
            if kind == "range":
                cuts = sorted(set(draw(st.lists(st.sampled_from([-5, 0, 1, 2.5, 3, 10, 100]), min_size=1, max_size=3))))
                edges = [None, *cuts, None]
                brackets = [{k: v for k, v in (("from", lo), ("to", hi)) if v is not None}
                            | {"points": float(draw(st.integers(0, 10)))} for lo, hi in zip(edges, edges[1:], strict=False)]
                inds.append({"id": f"i{n}", "name": f"指标{n}", "max": 10, "value": draw(num), "brackets": brackets})
            elif kind == "when":
                brackets = [{"when": draw(cond), "points": float(draw(st.integers(0, 10)))} for _ in range(2)]
                brackets.append({"else": True, "points": float(draw(st.integers(0, 10)))})
                inds.append({"id": f"i{n}", "name": f"指标{n}", "max": 10, "brackets": brackets})
            else:
                inds.append({"id": f"i{n}", "name": f"指标{n}", "max": 10, "points": draw(num)})
        dim = {"id": f"d{d}", "name": f"维度{d}", "max": 10 * len(inds), "indicators": inds}
        if draw(st.booleans()):
            dim["min"] = draw(st.integers(0, 10 * len(inds)))
        dims.append(dim)
    rule = {"id": "random_rule", "name": "随机规则", "version": "1", "valid_from": datetime.date(2020, 1, 1),
            "source": {"document": "测试"}, "boundary": draw(st.sampled_from(["[A,B)", "(A,B]"])),
            "conditions": conditions, "direct": direct}
    if dims:
        rule["scoring"] = {"pass_score": draw(st.integers(0, 40)), "dimensions": dims}
    return yaml.safe_dump(rule, allow_unicode=True, sort_keys=False)


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@pytest.mark.django_db
@SETTINGS
@given(text=booleans(NUMBERS[:12]), values=st.lists(st.one_of(st.none(), st.sampled_from(
    [0.0, 1.0, -2.5, 3.0, 0.1, 100.0, 1234.56, 1e6])), min_size=12, max_size=12),
    flags=st.lists(st.one_of(st.none(), st.booleans()), min_size=len(BOOLS), max_size=len(BOOLS)),
    texts=st.fixed_dictionaries({k: st.one_of(st.none(), st.sampled_from(v)) for k, v in TEXTS.items()}))
def test_expressions_agree(text, values, flags, texts):
    names = {c: FEATURES[c].type for c in [*NUMBERS[:12], *BOOLS, *TEXTS]}
    env = dict(zip(NUMBERS[:12], values, strict=True)) | dict(zip(BOOLS, flags, strict=True)) | texts
    got, expected = both(text, names, env)
    assert got == expected or (got is None and expected is None), (text, env, got, expected)


@pytest.mark.django_db
@SETTINGS
@given(rule_text=rules(), data=st.lists(enterprise_data(), min_size=1, max_size=4))
def test_rules_agree_on_random_enterprises(rule_text, data):
    spec = load_rule(rule_text)
    with transaction.atomic():
        ids = [create(d) for d in data]
        sql_rows = {r["enterprise_id"]: r for r in evaluate.run(spec, AS_OF, ids)}
        py_rows = {r["enterprise_id"]: r for r in pyeval.evaluate_all(spec, AS_OF, ids)}
        transaction.set_rollback(True)
    assert sql_rows.keys() == py_rows.keys() == set(ids)
    for eid in ids:
        sql_row, py_row = sql_rows[eid], py_rows[eid]
        diff = {k: (sql_row[k], py_row.get(k)) for k in sql_row if sql_row[k] != py_row.get(k)}
        assert not diff, (rule_text, data, diff)
