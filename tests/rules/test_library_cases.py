"""Every YAML test case beside every shipped rule, on the SQL path and the Python reference path."""

import pytest

from tests.rules.cases import case_files, check, load_cases, run_case

CASES = [(path, i, case["name"]) for path in case_files() for i, case in enumerate(load_cases(path)[2])]


@pytest.mark.parametrize(("path", "index", "name"), CASES, ids=[f"{p.stem}-{i}" for p, i, _ in CASES])
def test_rule_case(db, path, index, name):
    spec, suite, cases = load_cases(path)
    case = cases[index]
    sql_row, py_row = run_case(spec, suite, case)
    problems = check(spec, sql_row, case["expect"])
    assert not problems, f"{name} ({case.get('cite')}) SQL: " + "; ".join(problems)
    problems = check(spec, py_row, case["expect"])
    assert not problems, f"{name} ({case.get('cite')}) Python: " + "; ".join(problems)
    assert {k: v for k, v in sql_row.items()} == py_row


def test_every_rule_has_cases():
    from tests.rules.cases import rule_files

    with_cases = {p.name.replace(".cases.yaml", ".yaml") for p in case_files()}
    assert {p.name for p in rule_files()} <= with_cases
