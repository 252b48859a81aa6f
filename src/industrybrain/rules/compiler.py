"""Compile validated rule expressions and whole rules to SQL, for any sqlglot dialect.

One statement evaluates a rule over the whole enterprise base (or a subset of ids):

    yf     yearly facts of the years needed, pivoted by conditional aggregation (one row per enterprise)
    cert   certifications valid on the evaluation date, one flag per kind
    attr   enterprise attributes, the latest value on or before the date, pivoted
    base   enterprise ⟕ yf ⟕ cert ⟕ attr: the base columns of the catalogue
    feat   the features the rule reads            f_<code>
    crit   criteria and indicator points          c_<id>, p_<id>
    dims   sub-scores with lower/upper bounds     d_<id>, d_<id>_lo, d_<id>_hi
    tot    score, bounds, scoring_ok, direct_any, conditions_all
    final  outcome (the pass expression)

Semantics pinned here (and mirrored by pyeval): every number is an IEEE double (literals and columns are
cast), `/` is real division and x / 0 is NULL, a CASE whose test is unknown is unknown, LEAST/GREATEST
with an unknown argument are unknown, ROUND is half-up (FLOOR(x·10ⁿ + 0.5) / 10ⁿ). The only values bound
from outside are the evaluation date and years (placeholders); enterprise ids are Python ints rendered by
sqlglot; names and literals come from the validated tree.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.dialects.sqlite import SQLite

from . import features as F
from .language import COMPARISONS, NAME_RE, Expression, function_args, parse, round_digits
from .rulefile import RuleSpec, pass_units


class IBSQLite(SQLite):
    """SQLite with pyformat placeholders (`%(name)s`), which Django's cursor binds."""

    class Generator(SQLite.Generator):  # type: ignore[valid-type,misc]
        TRANSFORMS = {**SQLite.Generator.TRANSFORMS,
                      exp.Placeholder: lambda self, e: f"%({e.name})s"}


class IBPostgres(Postgres):
    class Generator(Postgres.Generator):  # type: ignore[valid-type,misc]
        TRANSFORMS = {**Postgres.Generator.TRANSFORMS,
                      exp.Placeholder: lambda self, e: f"%({e.name})s"}


DIALECTS: dict[str, object] = {"sqlite": IBSQLite, "postgres": IBPostgres, "spark": "spark", "trino": "trino"}
DOUBLE = exp.DataType.build("double")
# Compute these layers once (SQLite and PostgreSQL would otherwise inline them and repeat each feature's
# expression in every criterion that reads it).
MATERIALIZE = {"sqlite", "postgres"}


def dialect_for(vendor: str) -> str:
    """Django's connection.vendor → our dialect name."""
    return {"postgresql": "postgres", "sqlite": "sqlite"}.get(vendor, vendor)


def render(node: exp.Expr, dialect: str) -> str:
    return node.sql(dialect=DIALECTS[dialect])  # type: ignore[arg-type]


# -- expressions -------------------------------------------------------------------------------

def _dbl(node: exp.Expr) -> exp.Expr:
    return exp.Cast(this=node, to=DOUBLE.copy())


def _num(value: float | int) -> exp.Expr:
    return _dbl(exp.Literal.number(repr(float(value))))


def _p(node: exp.Expr) -> exp.Expr:
    return exp.Paren(this=node)


def _is_null(node: exp.Expr) -> exp.Expr:
    return exp.Is(this=_p(node), expression=exp.Null())


def _any_null(args: list[exp.Expr]) -> exp.Expr:
    cond = _is_null(args[0])
    for arg in args[1:]:
        cond = exp.Or(this=cond, expression=_is_null(arg))
    return cond


def null_names(node: exp.Expr) -> frozenset[str] | None:
    """For a validated tree: the names N such that the value is unknown exactly when one of N is unknown,
    or None when that cannot be said (division, CASE, COALESCE, mixed AND/OR …). Lets the compiler test
    `CASE` branches for unknown with cheap `name IS NULL` checks instead of re-evaluating the condition."""
    if isinstance(node, exp.Column):
        return frozenset({node.this.name.lower()})
    if isinstance(node, exp.Literal | exp.Boolean | exp.Cast | exp.Is):
        return frozenset()
    if isinstance(node, exp.Paren | exp.Neg | exp.Abs | exp.Floor | exp.Ceil | exp.Round):
        return null_names(node.this)
    parts: list[exp.Expr]
    if isinstance(node, exp.Add | exp.Sub | exp.Mul) or type(node) in COMPARISONS:
        parts = [node.this, node.expression]
    elif isinstance(node, exp.Between):
        parts = [node.this, node.args["low"], node.args["high"]]
    elif isinstance(node, exp.In):
        parts = [node.this, *node.expressions]
    elif isinstance(node, exp.Not):
        return null_names(node.this)
    elif isinstance(node, exp.And | exp.Or):
        # Kleene: FALSE AND unknown = FALSE, so only when both sides are unknown under the same names
        a, b = null_names(node.this), null_names(node.expression)
        return a if a is not None and a == b else None
    else:
        return None
    out: frozenset[str] = frozenset()
    for part in parts:
        names = null_names(part)
        if names is None:
            return None
        out |= names
    return out


def compile_tree(node: exp.Expr, resolve: Callable[[str], exp.Expr], dialect: str | None = None) -> exp.Expr:
    """Translate a validated tree to a SQL tree with the engine's semantics; names go through `resolve`.

    With `dialect="sqlite"` two shortcuts with the same meaning are used: multi-argument MIN/MAX (NULL when
    any argument is NULL, as the language wants) instead of a guarded LEAST/GREATEST, and numeric literals
    as REAL literals instead of casts."""

    def c(n: exp.Expr) -> exp.Expr:
        return compile_tree(n, resolve, dialect)

    if isinstance(node, exp.Column):
        return resolve(node.this.name.lower())
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.copy()
        return _num(float(node.this)) if dialect != "sqlite" else exp.Literal.number(repr(float(node.this)))
    if isinstance(node, exp.Boolean | exp.Cast):
        return node.copy()
    if isinstance(node, exp.Paren):
        return _p(c(node.this))
    if isinstance(node, exp.Div):
        zero = exp.Literal.number("0.0") if dialect == "sqlite" else _num(0)
        return _p(exp.Div(this=_dbl(c(node.this)), expression=exp.Nullif(this=_dbl(c(node.expression)),
                                                                            expression=zero)))
    if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.And | exp.Or) or type(node) in COMPARISONS:
        return _p(type(node)(this=_p(c(node.this)), expression=_p(c(node.expression))))
    if isinstance(node, exp.Neg):
        return _p(exp.Neg(this=_p(c(node.this))))
    if isinstance(node, exp.Not):
        return _p(exp.Not(this=_p(c(node.this))))
    if isinstance(node, exp.Is):
        return _p(exp.Is(this=_p(c(node.this)), expression=exp.Null()))
    if isinstance(node, exp.In):
        return _p(exp.In(this=_p(c(node.this)), expressions=[c(e) for e in node.expressions]))
    if isinstance(node, exp.Between):
        return _p(exp.Between(this=_p(c(node.this)), low=_p(c(node.args["low"])),
                              high=_p(c(node.args["high"]))))
    if isinstance(node, exp.Case):
        ifs = []
        guarded: set[frozenset[str]] = set()
        for branch in node.args.get("ifs") or []:
            cond = c(branch.this)
            names = null_names(branch.this)
            if names is None:
                ifs.append(exp.If(this=_is_null(cond), true=exp.Null()))
            elif names and names not in guarded:
                guarded.add(names)
                ifs.append(exp.If(this=_any_null([resolve(n) for n in sorted(names)]), true=exp.Null()))
            ifs.append(exp.If(this=cond, true=c(branch.args["true"])))
        default = node.args.get("default")
        return exp.Case(ifs=ifs, default=c(default) if default is not None else None)
    if isinstance(node, exp.Coalesce):
        args = [c(a) for a in function_args(node)]
        return exp.Coalesce(this=args[0], expressions=args[1:])
    if isinstance(node, exp.Least | exp.Greatest | exp.Min | exp.Max):
        args = [c(a) for a in function_args(node)]
        smallest = isinstance(node, exp.Least | exp.Min)
        if dialect == "sqlite":
            return exp.Anonymous(this="MIN" if smallest else "MAX", expressions=args)
        fn = exp.Least if smallest else exp.Greatest
        return exp.Case(ifs=[exp.If(this=_any_null(args), true=exp.Null())],
                        default=fn(this=args[0], expressions=args[1:]))
    if isinstance(node, exp.Abs | exp.Floor | exp.Ceil):
        return type(node)(this=c(node.this))
    if isinstance(node, exp.Round):
        digits = round_digits(node) or 0
        scale = 10.0 ** digits
        inner = exp.Add(this=_p(exp.Mul(this=_p(c(node.this)), expression=_num(scale))), expression=_num(0.5))
        return _p(exp.Div(this=exp.Floor(this=inner), expression=_num(scale)))
    raise TypeError(f"not a validated node: {type(node).__name__}")  # the validator refuses these


def column(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table)


def compile_expression(expr: Expression, dialect: str, resolve: Callable[[str], exp.Expr] | None = None) -> str:
    """SQL text of one expression; by default names become bare columns of the same name."""
    return render(compile_tree(expr.tree, resolve or (lambda n: column(n))), dialect)


# -- whole rules -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Statement:
    sql: str
    params: dict
    columns: tuple[str, ...]


def params_for(as_of: datetime.date) -> dict:
    return {"as_of": as_of, "asof_ymd": as_of.year * 10000 + as_of.month * 100 + as_of.day,
            "ye_ymd": (as_of.year - 1) * 10000 + 1231,
            **{f"y{n}": as_of.year - n for n in range(1, F.YEARS_BACK + 1)}}


def _ph(name: str) -> exp.Placeholder:
    return exp.Placeholder(this=name)


def _ymd(col: exp.Expr, dialect: str) -> exp.Expr:
    """A date as the integer YYYYMMDD (SQLite stores dates as ISO text)."""
    if dialect == "sqlite":
        return exp.Cast(this=exp.Anonymous(this="REPLACE", expressions=[col, exp.Literal.string("-"),
                                                                         exp.Literal.string("")]),
                        to=exp.DataType.build("bigint"))
    parts = [exp.Extract(this=exp.var(unit), expression=col.copy()) for unit in ("YEAR", "MONTH", "DAY")]
    return exp.Add(this=exp.Add(this=exp.Mul(this=parts[0], expression=exp.Literal.number(10000)),
                                expression=exp.Mul(this=parts[1], expression=exp.Literal.number(100))),
                   expression=parts[2])


def _full_years(col: exp.Expr, dialect: str, ref: str = "asof_ymd") -> exp.Expr:
    """Whole years from a date column to the evaluation date (or `ye_ymd`, the end of last year):
    FLOOR((ref − ymd) / 10000)."""
    diff = exp.Sub(this=_dbl(_ph(ref)), expression=_dbl(_ymd(col, dialect)))
    return exp.Floor(this=exp.Div(this=_p(diff), expression=_num(10000)))


def _tables() -> dict[str, str]:
    from industrybrain.registry.models import Certification, Enterprise, YearlyFact

    from .models import EnterpriseAttribute

    return {"enterprise": Enterprise._meta.db_table, "yearly": YearlyFact._meta.db_table,
            "cert": Certification._meta.db_table, "attr": EnterpriseAttribute._meta.db_table}


ID_PLACEHOLDERS = 200  # subsets up to this size bind their ids (%(e0)s …), so the SQL text can be cached


def _in_ids(col: exp.Expr, ids: list[int] | None) -> exp.Expr | None:
    if ids is None:
        return None
    if not ids:
        return exp.In(this=col, expressions=[exp.Literal.number(-1)])
    if len(ids) <= ID_PLACEHOLDERS:
        return exp.In(this=col, expressions=[_ph(f"e{i}") for i in range(len(ids))])
    return exp.In(this=col, expressions=[exp.Literal.number(int(i)) for i in ids])


def in_range(col: exp.Expr) -> exp.Expr:
    """lo ≤ col < hi (bound parameters `lo`, `hi`): one slice of the enterprise ids (parallel statements)."""
    return exp.And(this=exp.GTE(this=col, expression=_ph("lo")), expression=exp.LT(this=col, expression=_ph("hi")))


def attribute_pivot(codes: list[str], ids: list[int] | None = None, among: exp.Expr | None = None,
                    latest: bool = False) -> exp.Select:
    """enterprise_id, v_<code> …: each attribute's latest value recorded on or before the bound date (ties:
    the later row), one row per enterprise (`ids` or the enterprises of the subquery `among` only). With
    `latest` the whole history is read (no date) and `last_as_of`, the newest date recorded, is added."""
    table = exp.to_table(_tables()["attr"])

    def recorded(alias: str) -> exp.Expr:
        return exp.LTE(this=column("as_of", alias), expression=_ph("as_of")) if not latest else exp.true()

    # the latest value on or before the date: no later row for the same enterprise and code
    newer = exp.select(exp.Literal.number(1)).from_(table.copy().as_("n")).where(
        exp.EQ(this=column("enterprise_id", "n"), expression=column("enterprise_id", "r"))).where(
        exp.EQ(this=column("code", "n"), expression=column("code", "r"))).where(recorded("n")).where(
        exp.Or(this=exp.GT(this=column("as_of", "n"), expression=column("as_of", "r")),
               expression=_p(exp.And(this=exp.EQ(this=column("as_of", "n"), expression=column("as_of", "r")),
                                     expression=exp.GT(this=column("id", "n"), expression=column("id", "r"))))))
    pivot = exp.select(column("enterprise_id", "r")).from_(table.copy().as_("r"))
    if not latest:
        pivot = pivot.where(recorded("r"))
    pivot = pivot.where(exp.In(this=column("code", "r"), expressions=[exp.Literal.string(code) for code in codes])).where(
        exp.Not(this=exp.Exists(this=newer)))
    if ids is not None:
        pivot = pivot.where(_in_ids(column("enterprise_id", "r"), ids))
    if among is not None:
        pivot = pivot.where(exp.In(this=column("enterprise_id", "r"), query=among))
    if latest:
        pivot = pivot.select(exp.alias_(exp.Max(this=column("as_of", "r")), "last_as_of"))
    for code in codes:
        attr = F.ATTRIBUTES[code]
        pivoted: exp.Expr = {
            "number": _dbl(column("value_number", "r")), "text": column("value_text", "r"),
            "date": column("value_date", "r"),
            "bool": exp.Case(ifs=[exp.If(this=column("value_bool", "r"), true=exp.Literal.number(1))],
                             default=exp.Literal.number(0)),
        }[attr.type.value]
        when = exp.EQ(this=column("code", "r"), expression=exp.Literal.string(code))
        pivot = pivot.select(exp.alias_(exp.Max(this=exp.Case(ifs=[exp.If(this=when, true=pivoted)])), f"v_{code}"))
    return pivot.group_by(column("enterprise_id", "r"))


def base_query(columns: list[F.BaseColumn], dialect: str, enterprise_ids: Iterable[int] | None = None,
               attr_current: str | None = None, id_range: bool = False) -> exp.Select:
    """SELECT enterprise_id, region_code, <base columns> over the enterprise base for the bound date.
    `attr_current`: the current-attribute table to read (whole base only; see rules/attributes.py).
    `id_range` (whole base only): only lo ≤ enterprise id < hi (bound), every layer filtered."""
    t = _tables()
    ids = None if enterprise_ids is None else sorted({int(i) for i in enterprise_ids})
    e = "e"
    select = exp.select(exp.alias_(column("id", e), "enterprise_id"),
                        exp.alias_(column("region_id", e), "region_code")).from_(exp.to_table(t["enterprise"]).as_(e))
    outs: list[exp.Expr] = []
    ctes: list[tuple[str, exp.Select]] = []

    yearly = [col for col in columns if col.kind == "yearly"]
    joins: list[tuple[exp.Expr, exp.Expr]] = []
    for n in sorted({col.year_offset for col in yearly}):
        # one LEFT JOIN per year on the unique (enterprise, year) index: no GROUP BY, no temporary B-tree
        alias = f"y{n}"
        on: exp.Expr = exp.And(this=exp.EQ(this=column("enterprise_id", alias), expression=column("id", e)),
                     expression=exp.EQ(this=column("year", alias), expression=_ph(f"y{n}")))
        if id_range and ids is None:  # the slice's facts only (else each slice hashes every year's facts)
            on = exp.And(this=on, expression=in_range(column("enterprise_id", alias)))
        joins.append((exp.to_table(t["yearly"]).as_(alias), on))
        outs += [exp.alias_(_dbl(column(col.field, alias)), col.code) for col in yearly if col.year_offset == n]

    certs = [col for col in columns if col.kind == "cert"]
    if certs:
        cq = exp.select(column("enterprise_id", "c")).from_(exp.to_table(t["cert"]).as_("c"))
        for col in certs:
            flag = exp.Case(ifs=[exp.If(this=exp.EQ(this=column("kind", "c"), expression=exp.Literal.string(col.field)),
                                        true=exp.Literal.number(1))], default=exp.Literal.number(0))
            cq = cq.select(exp.alias_(exp.Max(this=flag), col.code))
        cq = cq.where(exp.LTE(this=column("issued_on", "c"), expression=_ph("as_of"))).where(
            exp.Or(this=exp.Is(this=column("valid_until", "c"), expression=exp.Null()),
                   expression=exp.GTE(this=column("valid_until", "c"), expression=_ph("as_of"))))
        if ids is not None:
            cq = cq.where(_in_ids(column("enterprise_id", "c"), ids))
        elif id_range:
            cq = cq.where(in_range(column("enterprise_id", "c")))
        ctes.append(("cert", cq.group_by(column("enterprise_id", "c"))))
        outs += [exp.alias_(exp.EQ(this=exp.Coalesce(this=column(col.code, "cert"), expressions=[exp.Literal.number(0)]),
                                   expression=exp.Literal.number(1)), col.code) for col in certs]

    attr_cols = [col for col in columns if col.kind in ("attr", "attr_years")]
    if attr_cols:
        codes = sorted({col.field for col in attr_cols})
        pivot = attribute_pivot(codes, ids)
        if attr_current is not None and ids is None:
            # the current-attribute table (rules/attributes.py) holds each enterprise's latest values; it is
            # right for date D when none of the enterprise's values was recorded after D — the others (and
            # only they) take the per-date pivot
            def current(op) -> exp.Select:
                q = exp.select(column("enterprise_id", "a")).from_(exp.to_table(attr_current).as_("a")).where(
                    op(this=column("last_as_of", "a"), expression=_ph("as_of")))
                return q.where(in_range(column("enterprise_id", "a"))) if id_range else q

            fresh = current(exp.LTE).select(*[column(f"v_{code}", "a") for code in codes])
            later = exp.Subquery(this=current(exp.GT))
            pivot = attribute_pivot(codes, None, later)
            ctes.append(("attr", exp.union(fresh, pivot, distinct=False)))  # type: ignore[arg-type]
        else:
            if id_range and ids is None:
                pivot = pivot.where(in_range(column("enterprise_id", "r")))
            ctes.append(("attr", pivot))
        for col in attr_cols:
            raw: exp.Expr = column(f"v_{col.field}", "attr")
            if col.kind == "attr_years":
                outs.append(exp.alias_(_full_years(raw, dialect, "ye_ymd" if col.year_offset else "asof_ymd"),
                                       col.code))
                continue
            if col.type == F.Type.BOOL:
                raw = exp.EQ(this=raw if col.default is None else
                             exp.Coalesce(this=raw, expressions=[exp.Literal.number(1 if col.default else 0)]),
                             expression=exp.Literal.number(1))
            elif col.default is not None:
                default = (_num(col.default) if col.type == F.Type.NUMBER  # type: ignore[arg-type]
                           else exp.Literal.string(str(col.default)))
                raw = exp.Coalesce(this=raw, expressions=[default])
            outs.append(exp.alias_(raw, col.code))

    for col in columns:
        if col.kind != "enterprise":
            continue
        src = column(col.field, e)
        value: exp.Expr
        if col.field == "size_class":
            value = exp.Nullif(this=src, expression=exp.Literal.string(""))
        elif col.field == "founded_on":
            value = _full_years(src, dialect)
        else:
            value = src
        outs.append(exp.alias_(value, col.code))

    select = select.select(*outs) if outs else select
    for joined, join_on in joins:
        select = select.join(joined, on=join_on, join_type="left")
    for name, _q in ctes:
        select = select.join(exp.to_table(name), on=exp.EQ(this=column("enterprise_id", name),
                                                           expression=column("id", e)), join_type="left")
    if ids is not None:
        select = select.where(_in_ids(column("id", e), ids))
    elif id_range:
        select = select.where(in_range(column("id", e)))
    for name, q in ctes:
        select = select.with_(name, as_=q)
    return select


def _feature_layer(feature_codes: list[str], dialect: str | None = None) -> exp.Select:
    """SELECT enterprise_id, region_code, f_<code> … FROM base."""

    def base_col(name: str) -> exp.Expr:
        return column(name, "base")

    feat = exp.select(column("enterprise_id", "base"), column("region_code", "base")).from_("base")
    for code in feature_codes:
        feat = feat.select(exp.alias_(compile_tree(F.FEATURES[code].expression.tree, base_col, dialect),
                                      f"f_{code}"))
    return feat


def feature_query(feature_codes: Iterable[str], dialect: str, enterprise_ids: Iterable[int] | None = None,
                  attr_current: str | None = None, id_range: bool = False) -> tuple[exp.Select, list[str]]:
    """enterprise_id, region_code and the given features (f_<code>) for the bound date: what a feature
    snapshot stores (`snapshot.build`). One statement; the same derivations as a rule's own feature layer.
    `attr_current`: read attributes from the current-attribute table (whole base, rules/attributes.py).
    `id_range` (whole base): one slice lo ≤ enterprise id < hi (bound) — parallel snapshot builds."""
    codes = sorted(feature_codes)
    base = base_query(F.base_columns_for(set(codes)), dialect, enterprise_ids, attr_current, id_range)
    feat = _feature_layer(codes, dialect)
    cols = ["enterprise_id", "region_code", *[f"f_{c}" for c in codes]]
    final = exp.select(*[column(c, "feat") for c in cols]).from_("feat").with_("base", as_=base).with_("feat", as_=feat)
    final = _hoist_ctes(final)
    if dialect in MATERIALIZE:
        with_ = final.args.get("with_") or final.args.get("with")
        for cte in with_.expressions if with_ is not None else []:
            if cte.alias == "base":
                cte.set("materialized", True)
    return final, cols


def _snapshot_layer(feature_codes: list[str], table: str, enterprise_ids: Iterable[int] | None,
                    id_range: bool = False) -> exp.Select:
    feat = exp.select(column("enterprise_id", "s"), column("region_code", "s"),
                      *[column(f"f_{c}", "s") for c in feature_codes]).from_(exp.to_table(table).as_("s"))
    if id_range:  # a slice of the snapshot: lo ≤ enterprise_id < hi (bound), for parallel statements
        feat = feat.where(exp.GTE(this=column("enterprise_id", "s"), expression=_ph("lo"))).where(
            exp.LT(this=column("enterprise_id", "s"), expression=_ph("hi")))
    ids = None if enterprise_ids is None else sorted({int(i) for i in enterprise_ids})
    cond = _in_ids(column("enterprise_id", "s"), ids)
    return feat.where(cond) if cond is not None else feat


Extra = Mapping[str, "Expression | str"]


def extra_columns(extra: Extra | None) -> list[tuple[str, Expression]]:
    """Validate the extra output columns of `rule_query`: (name, expression) pairs, names in the rule
    language's id format, expressions validated against the feature catalogue (text is parsed here)."""
    out: list[tuple[str, Expression]] = []
    for name, expr in (extra or {}).items():
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise ValueError(f"附加列名无效：{name!r}（小写字母开头，只含小写字母、数字和下划线）")
        if name in RESERVED_COLUMNS or name.startswith(("f_", "c_", "p_", "d_")):
            raise ValueError(f"附加列名与规则输出列冲突：{name}")
        out.append((name, expr if isinstance(expr, Expression) else parse(expr, F.NAMESPACE, label=name)))
    return out


RESERVED_COLUMNS = frozenset({"enterprise_id", "region_code", "score", "score_lo", "score_hi", "scoring_ok",
                              "direct_any", "conditions_all", "outcome"})


def rule_query(spec: RuleSpec, dialect: str, enterprise_ids: Iterable[int] | None = None,
               source: str | None = None, id_range: bool = False, *,
               extra: Extra | None = None) -> tuple[exp.Select, list[str]]:
    """The whole rule as one SELECT; returns the tree and its output columns.

    `source` names a feature snapshot table (`snapshot.FeatureSnapshot.table`): the rule then reads the
    features from it instead of deriving them from the registry.

    `extra` — the public hook for callers that need more output than the rule (a policy's amount formula):
    {column name: expression in the rule language (an `Expression` or its text)}. Each is compiled by the
    same compiler over the same feature layer (same semantics: doubles, real division, unknowns) and
    appended after `outcome`, in the given order; the features it reads are added to the feature layer (and
    to the `f_<code>` output columns). Without `extra` the query is unchanged."""
    extras = extra_columns(extra)
    feature_codes = sorted(set(spec.features).union(*(e.names & set(F.FEATURES) for _n, e in extras)))
    base: exp.Select | None = None
    if source is None:
        base = base_query(F.base_columns_for(set(feature_codes)), dialect, enterprise_ids)
        feat = _feature_layer(feature_codes, dialect)
    else:
        feat = _snapshot_layer(feature_codes, source, enterprise_ids, id_range)

    def feat_col(name: str) -> exp.Expr:
        return column(f"f_{name}", "feat")

    crit = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier("feat"))).from_("feat")
    for cr in spec.criteria:
        if cr.expr is not None:
            crit = crit.select(exp.alias_(compile_tree(cr.expr.tree, feat_col, dialect), f"c_{cr.id}"))
    for ind in spec.indicators:
        crit = crit.select(exp.alias_(compile_tree(ind.points.tree, feat_col, dialect), f"p_{ind.id}"))

    dims = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier("crit"))).from_("crit")
    for dim in spec.dimensions:
        inds = [i for i in spec.indicators if i.dimension == dim.id]
        for suffix, wrap in (("", None), ("_lo", "min_points"), ("_hi", "max_points")):
            total: exp.Expr | None = None
            for ind in inds:
                term: exp.Expr = column(f"p_{ind.id}", "crit")
                if wrap:
                    term = exp.Coalesce(this=term, expressions=[_num(getattr(ind, wrap))])
                total = term if total is None else exp.Add(this=total, expression=term)
            dims = dims.select(exp.alias_(total if total is not None else _num(0), f"d_{dim.id}{suffix}"))

    tot = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier("dims"))).from_("dims")
    for suffix in ("", "_lo", "_hi"):
        total = None
        for dim in spec.dimensions:
            term = column(f"d_{dim.id}{suffix}", "dims")
            total = term if total is None else exp.Add(this=total, expression=term)
        tot = tot.select(exp.alias_(total if total is not None else exp.Null(), f"score{suffix}"))
    tot = tot.select(exp.alias_(_fold([column(f"c_{c.id}", "dims") for c in spec.direct if not c.manual],
                                      exp.Or, exp.false()), "direct_any"))
    tot = tot.select(exp.alias_(_fold([column(f"c_{c.id}", "dims") for c in spec.conditions if not c.manual],
                                      exp.And, exp.true()), "conditions_all"))

    names = {c.id: f"c_{c.id}" for c in spec.criteria if not c.manual}
    names.update({i.id: f"p_{i.id}" for i in spec.indicators})
    names.update({d.id: f"d_{d.id}" for d in spec.dimensions})
    names.update({n: n for n in ("score", "scoring_ok", "direct_any", "conditions_all")})
    outcome = compile_tree(spec.pass_expr.tree, lambda n: column(names[n], "sc"), dialect)
    sc = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier("tot")),
                    exp.alias_(_scoring_ok(spec), "scoring_ok")).from_("tot")

    out_cols = (["enterprise_id", "region_code"] + [f"f_{code}" for code in feature_codes]
                + [f"c_{c.id}" for c in spec.criteria if not c.manual] + [f"p_{i.id}" for i in spec.indicators]
                + [f"d_{d.id}{s}" for d in spec.dimensions for s in ("", "_lo", "_hi")]
                + ["score", "score_lo", "score_hi", "scoring_ok", "direct_any", "conditions_all"])
    final = exp.select(*[column(c, "sc") for c in out_cols], exp.alias_(outcome, "outcome")).from_("sc")
    for name, expr in extras:
        final = final.select(exp.alias_(compile_tree(expr.tree, lambda n: column(f"f_{n}", "sc"), dialect), name))
    if base is not None:
        final = final.with_("base", as_=base)
    final = final.with_("feat", as_=feat).with_("crit", as_=crit) \
        .with_("dims", as_=dims).with_("tot", as_=tot).with_("sc", as_=sc)
    final = _hoist_ctes(final)
    if dialect in MATERIALIZE:
        with_ = final.args.get("with_") or final.args.get("with")
        layers = ("base", "feat", "crit") if source is None else ("crit",)
        for cte in with_.expressions if with_ is not None else []:
            if cte.alias in layers:
                cte.set("materialized", True)
    return final, [*out_cols, "outcome", *(name for name, _e in extras)]


def snapshot_expressions(source: str, extra: Extra, dialect: str) -> tuple[exp.Select, list[str]]:
    """Named expressions of the rule language over a feature snapshot, without a rule around them:
    SELECT enterprise_id, region_code, <name> … FROM the snapshot — one row per enterprise.

    The lean form of `rule_query`'s `extra` hook for callers that evaluate many rules in one pass (a
    batch of policies, each condition and amount a column): same validation, same compiler, same
    semantics, but none of the rule's layers (criteria, dimensions, score), which such a caller does not
    read and which would otherwise be materialised for every enterprise."""
    extras = extra_columns(extra)
    codes = sorted(set().union(*(e.names & set(F.FEATURES) for _n, e in extras)))
    feat = _snapshot_layer(codes, source, None)
    query = exp.select(column("enterprise_id", "feat"), column("region_code", "feat")).from_(
        exp.Subquery(this=feat, alias=exp.TableAlias(this=exp.to_identifier("feat"))))
    for name, expr in extras:
        query = query.select(exp.alias_(compile_tree(expr.tree, lambda n: column(f"f_{n}", "feat"), dialect), name))
    return query, ["enterprise_id", "region_code", *(name for name, _e in extras)]


def _hoist_ctes(select: exp.Select) -> exp.Select:
    """Move the base query's own WITH clauses to the top level (nested WITH is not portable)."""
    with_ = select.args.get("with_") or select.args.get("with")
    if with_ is None:
        return select
    ctes = list(with_.expressions)
    hoisted: list[exp.CTE] = []
    for cte in ctes:
        inner = cte.this
        inner_with = inner.args.get("with_") or inner.args.get("with")
        if inner_with is not None:
            hoisted.extend(inner_with.expressions)
            inner.set("with_" if "with_" in inner.args else "with", None)
        hoisted.append(cte)
    with_.set("expressions", hoisted)
    return select


def _fold(items: Sequence[exp.Expr], op, empty: exp.Expr) -> exp.Expr:
    if not items:
        return empty
    out = items[0]
    for item in items[1:]:
        out = op(this=_p(out), expression=_p(item))
    return _p(out)


def _scoring_ok(spec: RuleSpec) -> exp.Expr:
    """TRUE when the score passes even with the least points for unknown indicators, FALSE when it
    fails even with the most, unknown in between."""
    if not spec.indicators:
        return exp.true()
    lows, highs = [], []
    if spec.pass_score is not None:
        lows.append(exp.GTE(this=column("score_lo", "tot"), expression=_num(spec.pass_score)))
        highs.append(exp.LT(this=column("score_hi", "tot"), expression=_num(spec.pass_score)))
    for dim in spec.dimensions:
        if dim.min is not None:
            lows.append(exp.GTE(this=column(f"d_{dim.id}_lo", "tot"), expression=_num(dim.min)))
            highs.append(exp.LT(this=column(f"d_{dim.id}_hi", "tot"), expression=_num(dim.min)))
    if not lows:
        return exp.true()
    return exp.Case(ifs=[exp.If(this=_fold(lows, exp.And, exp.true()), true=exp.true()),
                         exp.If(this=_fold(highs, exp.Or, exp.false()), true=exp.false())])


_CACHE: dict[tuple, tuple[str, tuple[str, ...]]] = {}


def statement(spec: RuleSpec, dialect: str, as_of: datetime.date,
              enterprise_ids: Iterable[int] | None = None, source: str | None = None, *,
              extra: Extra | None = None, id_range: bool = False) -> Statement:
    """The rule's SQL and bound parameters; the text is cached per rule checksum, dialect, subset size,
    source (a feature snapshot table, or None to derive the features from the registry) and the extra
    columns (`rule_query`'s hook). `id_range` (snapshot source only): lo ≤ enterprise_id < hi (bound)."""
    id_range = id_range and source is not None
    ids = None if enterprise_ids is None else sorted({int(i) for i in enterprise_ids})
    params = params_for(as_of)
    if ids is not None and len(ids) <= ID_PLACEHOLDERS:
        params.update({f"e{i}": eid for i, eid in enumerate(ids)})
    cacheable = bool(spec.checksum) and (ids is None or len(ids) <= ID_PLACEHOLDERS)
    extras = tuple((name, e.text if isinstance(e, Expression) else e) for name, e in (extra or {}).items())
    key = (spec.checksum, dialect, None if ids is None else len(ids), source, extras, id_range)
    if cacheable and key in _CACHE:
        sql, cols = _CACHE[key]
        return Statement(sql, params, cols)
    tree, col_list = rule_query(spec, dialect, ids, source, id_range, extra=extra)
    sql, cols = render(tree, dialect), tuple(col_list)
    if cacheable:
        if len(_CACHE) > 512:
            _CACHE.clear()
        _CACHE[key] = (sql, cols)
    return Statement(sql, params, cols)


def preview_statement(spec: RuleSpec, dialect: str, as_of: datetime.date, source: str | None = None,
                      id_range: bool = False, short_cut: bool = True) -> Statement:
    """Counts by region: passed, failed, unknown, total — aggregated in the database. With `id_range`
    (snapshot source only) the statement covers lo ≤ enterprise_id < hi (parameters `lo`, `hi`).
    `short_cut=False`: every row goes through the whole rule (no second scan for the decided rows)."""
    key = (spec.checksum, dialect, "preview", source, id_range, short_cut)
    cols = ("region_code", "passed", "failed", "unknown", "total")
    if spec.checksum and key in _CACHE:
        return Statement(_CACHE[key][0], params_for(as_of), cols)
    tree, _cols = rule_query(spec, dialect, None, source, id_range and source is not None)
    with_ = tree.args.get("with_") or tree.args.get("with")
    if dialect == "sqlite" and source is not None and with_ is not None:
        # stream the criteria layer as a co-routine instead of writing it to a temporary table: a LIMIT
        # keeps SQLite from flattening it into the aggregate (which would repeat every indicator)
        for cte in with_.expressions:
            if cte.alias == "crit":
                cte.set("materialized", False)
                cte.set("this", cte.this.limit(-1))
    if dialect == "postgres" and source is not None and with_ is not None:
        # inlined, the whole count runs in parallel workers (a MATERIALIZED CTE is scanned by the leader
        # alone): 1M enterprises, 创新型 3.0–3.6 s → 2.5 s
        for cte in with_.expressions:
            if cte.alias == "crit":
                cte.set("materialized", False)
    tree.set("with_" if "with_" in tree.args else "with", None)
    outcome = column("outcome", "r")

    def count_when(cond: exp.Expr) -> exp.Expr:
        return exp.Sum(this=exp.Case(ifs=[exp.If(this=cond, true=exp.Literal.number(1))],
                                     default=exp.Literal.number(0)))

    alive = _alive(spec, dialect, "s") if source is not None and short_cut else None
    if alive is not None and with_ is not None:
        # short cut with the same counts: a row with one of the pass expression's top-level criteria FALSE
        # fails whatever the rest (Kleene: FALSE AND x = FALSE), so only the other rows go through the
        # indicators and the score; the decided rows are counted from the snapshot directly
        for cte in with_.expressions:
            if cte.alias == "feat":
                cte.set("this", cte.this.where(alive.copy()))
    agg = exp.select(
        column("region_code", "r"),
        exp.alias_(count_when(exp.EQ(this=outcome, expression=exp.true())), "passed"),
        exp.alias_(count_when(exp.EQ(this=outcome, expression=exp.false())), "failed"),
        exp.alias_(count_when(exp.Is(this=outcome, expression=exp.Null())), "unknown"),
        exp.alias_(exp.Count(this=exp.Star()), "total"),
    ).from_(exp.Subquery(this=tree, alias=exp.TableAlias(this=exp.to_identifier("r")))).group_by(
        column("region_code", "r"))
    if alive is not None and with_ is not None and source is not None:
        dead = exp.select(column("region_code", "s"), exp.Literal.number(0), exp.Count(this=exp.Star()),
                          exp.Literal.number(0), exp.Count(this=exp.Star())).from_(
            exp.to_table(source).as_("s")).where(exp.Not(this=_p(alive)))
        if id_range:
            dead = dead.where(exp.GTE(this=column("enterprise_id", "s"), expression=_ph("lo"))).where(
                exp.LT(this=column("enterprise_id", "s"), expression=_ph("hi")))
        dead = dead.group_by(column("region_code", "s"))
        both = exp.union(agg, dead, distinct=False)
        u = "u"
        agg = exp.select(column("region_code", u), *[exp.alias_(exp.Sum(this=column(c, u)), c) for c in cols[1:]]).from_(
            exp.Subquery(this=both, alias=exp.TableAlias(this=exp.to_identifier(u)))).group_by(column("region_code", u))
    agg.set("with_" if "with_" in agg.args or with_ is not None else "with", with_)
    sql = render(agg, dialect)
    if spec.checksum:
        _CACHE[key] = (sql, cols)
    return Statement(sql, params_for(as_of), cols)


def _alive(spec: RuleSpec, dialect: str, alias: str) -> exp.Expr | None:
    """TRUE unless one of the pass expression's top-level criteria (`pass_units` that are criteria) is
    FALSE, over the snapshot's feature columns; None when the rule has no such criterion."""
    by_id = {c.id: c for c in spec.criteria if not c.manual and c.expr is not None}
    parts: list[exp.Expr] = []
    for uid, _tree in pass_units(spec):
        cr = by_id.get(uid)
        if cr is not None and cr.expr is not None:
            cond = compile_tree(cr.expr.tree, lambda n: column(f"f_{n}", alias), dialect)
            parts.append(exp.Coalesce(this=cond, expressions=[exp.true()]))
    return _fold(parts, exp.And, exp.true()) if parts else None


def alive_sql(spec: RuleSpec, dialect: str, alias: str = "s") -> str | None:
    """The preview short cut's condition over a snapshot row (alias `alias`), or None."""
    alive = _alive(spec, dialect, alias)
    return None if alive is None else render(alive, dialect)


def transpile_check(sql: str, dialect: str) -> None:
    """Parse generated SQL back with sqlglot (used by tests for Spark and Trino output)."""
    parsed = sqlglot.parse(sql, read=DIALECTS[dialect])  # type: ignore[arg-type]
    assert len(parsed) == 1 and isinstance(parsed[0], exp.Select)


# -- stored results, set-based ------------------------------------------------------------------

def _json_object(pairs: list[tuple[str, str]], dialect: str) -> str:
    """A JSON object from (key, SQL value) pairs; keys are validated ids ([a-z][a-z0-9_]*), values SQL.

    SQLite: json_object (≤ 127 arguments, so longer objects continue with json_insert, which keeps nulls);
    PostgreSQL: jsonb_build_object (≤ 100 arguments) chunks joined with ||."""
    for key, _v in pairs:
        assert NAME_RE.match(key.lstrip("_")), key
    if dialect == "sqlite":
        head, rest = pairs[:60], pairs[60:]
        sql = "json_object(" + ", ".join(f"'{k}', {v}" for k, v in head) + ")"
        for start in range(0, len(rest), 60):
            chunk = rest[start:start + 60]
            sql = f"json_insert({sql}, " + ", ".join(f"'$.{k}', {v}" for k, v in chunk) + ")"
        return sql
    if dialect == "postgres":
        parts = ["jsonb_build_object(" + ", ".join(f"'{k}', {v}" for k, v in pairs[i:i + 50]) + ")"
                 for i in range(0, max(len(pairs), 1), 50)]
        return " || ".join(parts) if pairs else "'{}'::jsonb"
    raise ValueError(f"results are stored on sqlite and postgres, not {dialect}")


def _json_bool(col: str, dialect: str) -> str:
    if dialect == "sqlite":
        return f"CASE WHEN {col} IS NULL THEN NULL WHEN {col} THEN json('true') ELSE json('false') END"
    return col


def _tri_sql(col: str) -> str:
    return f"CASE WHEN {col} IS NULL THEN 'unknown' WHEN {col} THEN 'pass' ELSE 'fail' END"


def units_sql(spec: RuleSpec, dialect: str, alias: str = "r") -> tuple[str, str]:
    """SQL of (failed_units, unknown_units) over a rule row `alias`: how many of the rule's criteria as an
    officer counts them (`rulefile.pass_units`) are false / unknown."""
    names = {c.id: f"c_{c.id}" for c in spec.criteria if not c.manual}
    names.update({i.id: f"p_{i.id}" for i in spec.indicators})
    names.update({d.id: f"d_{d.id}" for d in spec.dimensions})
    names.update({n: n for n in ("score", "scoring_ok", "direct_any", "conditions_all")})
    failed, unknown = [], []
    for _uid, tree in pass_units(spec):
        cond = render(compile_tree(tree, lambda n: column(names[n], alias), dialect), dialect)
        failed.append(f"CASE WHEN {cond} THEN 0 WHEN NOT {cond} THEN 1 ELSE 0 END")
        unknown.append(f"CASE WHEN {cond} IS NULL THEN 1 ELSE 0 END")
    return (" + ".join(failed) or "0"), (" + ".join(unknown) or "0")


def store_statement(spec: RuleSpec, dialect: str, as_of: datetime.date, enterprise_ids: Iterable[int] | None = None,
                    source: str | None = None, compact: bool = False, id_range: bool = False) -> Statement:
    """SELECT evaluation_id, enterprise_id, outcome, score, subscores, criteria, values, failed_units,
    unknown_units — the stored result of every enterprise, built in the database (JSON included) as
    `evaluate.payload` builds it in Python; the evaluation id is the bound parameter `evaluation`.

    `compact` (whole-base evaluations over a frozen feature snapshot): the three JSON columns are empty
    objects — building them was most of the cost of storing a million results; `evaluate.result_rows`
    rebuilds them from the snapshot row and the rule version. `id_range` (snapshot source only): one slice
    lo ≤ enterprise_id < hi (bound parameters `lo`, `hi`), for stores split over connections."""
    id_range = id_range and source is not None
    inner = statement(spec, dialect, as_of, enterprise_ids, source, id_range=id_range)
    key = (spec.checksum, dialect, "store", None if enterprise_ids is None else len(set(enterprise_ids)), source,
           compact, id_range)
    cols = ("evaluation_id", "enterprise_id", "outcome", "score", "subscores", "criteria", "values",
            "failed_units", "unknown_units")
    params = {**inner.params, "evaluation": None}
    if spec.checksum and key in _CACHE:
        return Statement(_CACHE[key][0], params, cols)
    failed, unknown = units_sql(spec, dialect)
    outcome = "CASE WHEN r.outcome IS NULL THEN 'unknown' WHEN r.outcome THEN 'pass' ELSE 'fail' END"
    score = "CAST(r.score AS double precision)" if dialect == "postgres" else "r.score"  # untyped NULL without scoring
    if compact:
        empty = "'{}'::jsonb" if dialect == "postgres" else "'{}'"
        sql = (f"SELECT %(evaluation)s, r.enterprise_id, {outcome}, {score}, {empty}, {empty}, {empty}, "  # noqa: S608
               f"{failed}, {unknown} FROM ({inner.sql}) r")
        if spec.checksum:
            _CACHE[key] = (sql, cols)
        return Statement(sql, params, cols)
    types = {f"f_{code}": F.FEATURES[code].type for code in spec.features}
    criteria = []
    for cr in spec.criteria:
        criteria.append((cr.id, "'manual'" if cr.manual else _tri_sql(f"r.c_{cr.id}")))
    criteria += [(ind.id, f"r.p_{ind.id}") for ind in spec.indicators]
    subscores = [(d.id, _json_object([("value", f"r.d_{d.id}"), ("lo", f"r.d_{d.id}_lo"), ("hi", f"r.d_{d.id}_hi")],
                                     dialect)) for d in spec.dimensions]
    if spec.indicators:
        subscores.append(("_score", _json_object([("lo", "r.score_lo"), ("hi", "r.score_hi")], dialect)))
    values = []
    for code in sorted(spec.features):
        col, typ = f"r.f_{code}", types[f"f_{code}"]
        if typ == F.Type.BOOL:
            values.append((code, _json_bool(col, dialect)))
        elif typ == F.Type.DATE and dialect == "postgres":
            values.append((code, f"to_char({col}, 'YYYY-MM-DD')"))
        else:
            values.append((code, col))
    sql = (f"SELECT %(evaluation)s, r.enterprise_id, {outcome}, {score}, {_json_object(subscores, dialect)}, "  # noqa: S608
           f"{_json_object(criteria, dialect)}, {_json_object(values, dialect)}, {failed}, {unknown} "
           f"FROM ({inner.sql}) r")
    if spec.checksum:
        _CACHE[key] = (sql, cols)
    return Statement(sql, params, cols)
