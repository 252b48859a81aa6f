"""Evaluate one expression in the configured database and in Python, with given values for its names."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection
from sqlglot import exp

from industrybrain.rules import pyeval
from industrybrain.rules.compiler import DOUBLE, compile_tree, dialect_for, render
from industrybrain.rules.evaluate import _normalize
from industrybrain.rules.language import Type, parse


def _const(value: Any, typ: Type) -> exp.Expr:
    if value is None:
        to = {Type.NUMBER: DOUBLE.copy(), Type.TEXT: exp.DataType.build("varchar"),
              Type.BOOL: exp.DataType.build("boolean"), Type.DATE: exp.DataType.build("date")}[typ]
        if connection.vendor == "sqlite":
            return exp.Null()
        return exp.Cast(this=exp.Null(), to=to)
    if typ == Type.NUMBER:
        return exp.Cast(this=exp.Literal.number(repr(float(value))), to=DOUBLE.copy())
    if typ == Type.BOOL:
        return exp.true() if value else exp.false()
    if typ == Type.DATE:
        return exp.Cast(this=exp.Literal.string(value.isoformat()), to=exp.DataType.build("date"))
    return exp.Literal.string(str(value))


def both(text: str, names: dict[str, Type], env: dict[str, Any] | None = None) -> tuple[Any, Any]:
    """(SQL value, Python value) of `text` with the names bound to `env`."""
    env = env or {}
    expr = parse(text, names)
    tree = compile_tree(expr.tree, lambda n: _const(env.get(n), names[n]))
    sql = "SELECT " + render(tree, dialect_for(connection.vendor))
    with connection.cursor() as cursor:
        cursor.execute(sql)
        (value,) = cursor.fetchone()
    return _normalize(value, expr.type), pyeval.evaluate(expr.tree, {n: env.get(n) for n in names})


def sql_value(text: str, names: dict[str, Type] | None = None, env: dict[str, Any] | None = None) -> Any:
    got, expected = both(text, names or {}, env)
    assert got == expected or (got is None and expected is None), (text, got, expected)
    return got


__all__ = ["both", "sql_value", "datetime"]
