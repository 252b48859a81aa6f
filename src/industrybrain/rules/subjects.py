"""The rules engine for subjects other than enterprises: projects, region indicator releases, tickets…

The enterprise engine compiles rules to one SQL statement over the enterprise base. Other modules have
small populations (about 1,500 projects, about 100 regions) whose features are computed in Python from
their own models; for those, a module declares a `Catalogue` of the features it offers and evaluates
officer-written conditions with the same language (`language.parse`: whitelist, types, Chinese errors with
a caret) and the same reference evaluator (`pyeval.evaluate`: three-valued logic, real division). Nothing
is interpolated anywhere: the text is parsed once, the tree is walked.

    PROJECT = Catalogue("project", "重大项目", [SubjectFeature("days_overdue", "超期工作日", "天"), …])
    rule = PROJECT.condition("days_overdue > 0")
    PROJECT.holds(rule, {"days_overdue": 3})       # True / False / None (not enough data)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .language import Expression, RuleSyntaxError, Type, parse
from .pyeval import evaluate as _evaluate


@dataclass(frozen=True)
class SubjectFeature:
    code: str
    label: str
    unit: str = ""
    type: Type = Type.NUMBER
    description: str = ""


class Catalogue:
    """The features a kind of subject offers to rules, and the parse/evaluate pair that uses them."""

    def __init__(self, subject: str, label: str, features: Iterable[SubjectFeature]):
        self.subject, self.label = subject, label
        self.features: dict[str, SubjectFeature] = {}
        for f in features:
            if f.code in self.features:
                raise ValueError(f"duplicate feature {f.code} in catalogue {subject}")
            self.features[f.code] = f

    @property
    def names(self) -> dict[str, Type]:
        return {code: f.type for code, f in self.features.items()}

    def condition(self, text: str, label: str = "") -> Expression:
        """A validated condition (a bool expression); raises RuleSyntaxError with every problem."""
        return parse(text, self.names, expect=Type.BOOL, label=label)

    def formula(self, text: str, label: str = "") -> Expression:
        return parse(text, self.names, expect=Type.NUMBER, label=label)

    def problems(self, text: str, kind: Type = Type.BOOL) -> list[str]:
        """Rendered problems of `text` (empty when valid) — for form validation."""
        try:
            parse(text, self.names, expect=kind)
        except RuleSyntaxError as err:
            return [p.render(err.text) for p in err.problems]
        return []

    def value(self, expr: Expression, row: Mapping[str, Any]) -> Any:
        """Evaluate `expr` on one subject's features; a feature missing from `row` is unknown (None)."""
        env = {name: _coerce(row.get(name), self.features[name].type) for name in expr.names}
        return _evaluate(expr.tree, env)

    def holds(self, expr: Expression, row: Mapping[str, Any]) -> bool | None:
        """True / False, or None when the data do not decide (three-valued logic)."""
        result = self.value(expr, row)
        return None if result is None else bool(result)

    def values_used(self, expr: Expression, row: Mapping[str, Any]) -> dict[str, Any]:
        """The features the expression read, with their values — stored beside a finding for audit."""
        return {name: _jsonable(row.get(name)) for name in sorted(expr.names)}

    def reference(self) -> list[dict[str, str]]:
        """The catalogue as rows for a help table on the editing page."""
        return [{"code": f.code, "label": f.label, "unit": f.unit, "type": str(f.type),
                 "description": f.description} for f in self.features.values()]


def _coerce(value: Any, typ: Type) -> Any:
    if value is None:
        return None
    if typ is Type.NUMBER:
        return float(value)
    return value


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
