"""The compiler's public hook for extra output columns (`rule_query(..., extra=…)`), e.g. a policy's amount."""

import datetime

import pytest

from industrybrain.rules import evaluate as ev
from industrybrain.rules import features as F
from industrybrain.rules import pyeval, snapshot
from industrybrain.rules.compiler import render, rule_query, statement
from industrybrain.rules.language import Type, parse
from industrybrain.rules.loader import LIBRARY, load_library
from tests.rules.cases import build_enterprise, load_cases

pytestmark = pytest.mark.django_db
AS_OF = datetime.date(2023, 7, 1)
AMOUNT = "LEAST(ROUND(rd_expense_last_year * 0.15, 2), 40)"
EXPORTER = "COALESCE(exports_last_year > 0, FALSE)"  # a feature the innovative_sme rule does not read


@pytest.fixture
def setup():
    load_library()
    _spec, suite, _ = load_cases(LIBRARY / "tiers" / "innovative_sme_2022.cases.yaml")
    ents = [build_enterprise(suite["base"], AS_OF),
            build_enterprise({**suite["base"], "yearly": {2022: {**suite["base"]["yearly"][2022], "rd_expense": 333,
                                                                 "exports": 12}}}, AS_OF),
            build_enterprise({}, AS_OF)]
    return ev.version_for("innovative_sme", AS_OF).spec(), ents


def expected(text: str, row: dict):
    expr = parse(text, F.NAMESPACE)
    return pyeval.evaluate(expr.tree, {code: row[f"f_{code}"] for code in expr.names})


def test_without_extra_the_query_is_unchanged(setup):
    spec, _ents = setup
    tree, cols = rule_query(spec, "sqlite")
    tree2, cols2 = rule_query(spec, "sqlite", extra={})
    assert render(tree, "sqlite") == render(tree2, "sqlite") and cols == cols2 and cols[-1] == "outcome"
    assert "f_exports_last_year" not in cols


@pytest.mark.parametrize("use_snapshot", [False, True])
def test_extra_columns_are_computed_in_the_same_statement(setup, use_snapshot):
    spec, ents = setup
    snap = snapshot.build(AS_OF) if use_snapshot else None
    extra = {"amount_raw": parse(AMOUNT, F.NAMESPACE, expect=Type.NUMBER), "exporter": EXPORTER}
    rows = {r["enterprise_id"]: r for r in ev.run(spec, AS_OF, snapshot=snap, extra=extra)}
    plain = {r["enterprise_id"]: r for r in ev.run(spec, AS_OF)}
    assert set(rows) == {e.pk for e in ents}
    for eid, row in rows.items():
        assert list(row)[-3:] == ["outcome", "amount_raw", "exporter"]
        assert row["amount_raw"] == expected(AMOUNT, row) and row["exporter"] is expected(EXPORTER, row)
        assert {k: v for k, v in row.items() if k in plain[eid]} == plain[eid]  # the rule's columns unchanged
    good, second, empty = ents
    assert rows[good.pk]["amount_raw"] == pytest.approx(30.0)   # rd_expense 200 × 0.15
    assert rows[second.pk]["amount_raw"] == 40.0 and rows[second.pk]["exporter"] is True
    assert rows[empty.pk]["amount_raw"] is None and rows[empty.pk]["exporter"] is False  # unknown, not 0


def test_extra_reads_features_outside_the_rule_and_emits_for_every_dialect(setup):
    spec, _ents = setup
    for dialect in ("sqlite", "postgres", "spark", "trino"):
        _tree, cols = rule_query(spec, dialect, extra={"exporter": EXPORTER})
        assert "f_exports_last_year" in cols and cols[-1] == "exporter"
    one = statement(spec, "sqlite", AS_OF, extra={"a": "rd_expense_last_year * 2"})
    two = statement(spec, "sqlite", AS_OF, extra={"a": "rd_expense_last_year * 3"})
    assert one.sql != two.sql  # the statement cache keys on the extra expressions


@pytest.mark.parametrize("name", ["Amount", "outcome", "score", "f_x", "c_sme", "1a", "a-b"])
def test_extra_names_are_checked(setup, name):
    spec, _ents = setup
    with pytest.raises(ValueError, match="附加列名"):
        rule_query(spec, "sqlite", extra={name: "1"})


def test_extra_expressions_are_validated(setup):
    from industrybrain.rules.language import RuleSyntaxError

    spec, _ents = setup
    with pytest.raises(RuleSyntaxError, match="未知字段"):
        rule_query(spec, "sqlite", extra={"amount": "no_such_feature * 2"})
    with pytest.raises(RuleSyntaxError):
        rule_query(spec, "sqlite", extra={"amount": "1; DROP TABLE x"})


def test_snapshot_expressions_give_the_same_values_as_the_rule_query_hook_without_the_rule(setup):
    from django.db import connection

    from industrybrain.rules.compiler import dialect_for, params_for, snapshot_expressions

    spec, ents = setup
    snap = snapshot.build(AS_OF)
    extra = {"amount_raw": AMOUNT, "exporter": EXPORTER, "b0_c0": "rd_ratio_last_year >= 3"}
    dialect = dialect_for(connection.vendor)
    tree, cols = snapshot_expressions(snap.table, extra, dialect)
    assert cols == ["enterprise_id", "region_code", "amount_raw", "exporter", "b0_c0"]
    sql = render(tree, dialect)
    assert "score" not in sql and "crit" not in sql  # none of the rule's layers
    with connection.cursor() as cursor:
        cursor.execute(sql, params_for(AS_OF))
        lean = {row[0]: row[2:] for row in cursor.fetchall()}
    hooked = {r["enterprise_id"]: (r["amount_raw"], r["exporter"], r["b0_c0"])
              for r in ev.run(spec, AS_OF, snapshot=snap, extra=extra)}
    assert set(lean) == {e.pk for e in ents}
    for eid, (amount, exporter, cond) in lean.items():
        assert (amount, None if exporter is None else bool(exporter), None if cond is None else bool(cond)) \
            == hooked[eid]
    with pytest.raises(ValueError, match="附加列名"):
        snapshot_expressions(snap.table, {"score": "1"}, dialect)
