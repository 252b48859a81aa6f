"""Demo extension: evaluation attributes for the demo province (细分市场、研发机构、数字化、质量…).

Called by the demo build (`demo.build.extensions`) after the registry is generated. Deterministic for a
seed: one numpy stream over enterprises in id order. Only enterprises with revenue and R&D in the last
demo year get attributes (the ones a tier rule can consider); the rest stay unrecorded, which the rules
report as "not enough data" where a criterion needs them.
"""

from __future__ import annotations

import datetime
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from industrybrain.registry.models import Enterprise, YearlyFact

from .models import EnterpriseAttribute

SOURCE = "演示数据"
BATCH = 20_000


@transaction.atomic
def build(context: Any) -> int:
    """Seed the attributes and load the rule library; returns the number of attributes written."""
    from .loader import load_library

    load_library()
    last_year = int(getattr(context, "last_year", 2023))
    rng = np.random.default_rng([int(context.seed), 20221])
    as_of = datetime.date(last_year + 1, 3, 31)
    facts = dict(YearlyFact.objects.filter(year=last_year, revenue__gt=0, rd_expense__gt=0)
                 .values_list("enterprise_id", "revenue"))
    # all enterprises, not pk__in (SQLite refuses more than 250,000 bound variables at 1,000,000 enterprises)
    founded = {eid: day for eid, day in Enterprise.objects.values_list("id", "founded_on").iterator(chunk_size=20_000)
               if eid in facts}
    ids = sorted(facts)
    n = len(ids)
    u = rng.random((n, 8))
    digital = rng.choice([1, 2, 3, 4], n, p=[0.35, 0.4, 0.2, 0.05])
    institute = rng.choice(["none", "below", "city", "provincial", "national"], n, p=[0.45, 0.2, 0.2, 0.13, 0.02])
    field = rng.choice(["other", "six_foundations", "chain_key"], n, p=[0.7, 0.2, 0.1])
    local = rng.integers(0, 16, n)
    niche_years = rng.integers(0, 8, n)
    equity = rng.integers(500, 8000, n)
    rank = rng.integers(1, 8, n)
    # a second stream for the attributes added with the 小巨人 / 2026 / 单项冠军 / 省定特色化 rules, so the
    # values drawn above (and the counts of the earlier rules) do not change
    rng2 = np.random.default_rng([int(context.seed), 20262])
    v = rng2.random((n, 10))
    applied = rng2.choice([0, 1, 2, 3, 4, 6], n, p=[0.45, 0.2, 0.15, 0.1, 0.06, 0.04])
    score = np.clip(rng2.normal(48, 12, n), 0, 100).round(1)
    share = rng2.choice(["other", "province_top10", "national_top10", "domestic_top3"], n, p=[0.6, 0.25, 0.1, 0.05])
    operation = rng2.integers(0, 5, n)
    rows: list[tuple] = []
    count = 0
    recorded = timezone.now()
    fields = ("enterprise_id", "code", "value_number", "value_text", "value_bool", "value_date", "as_of", "source",
              "note", "recorded_at")
    meta = EnterpriseAttribute._meta
    qn = connection.ops.quote_name
    sql = (f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f) for f in fields)}) "  # noqa: S608
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    adapt_date = connection.ops.adapt_datefield_value
    adapt_time = connection.ops.adapt_datetimefield_value(recorded)
    day = adapt_date(as_of)

    def add(eid: int, code: str, value_number=None, value_text=None, value_bool=None, value_date=None) -> None:
        # plain tuples through executemany: the demo writes millions of attributes at 1,000,000 enterprises
        rows.append((eid, code, value_number, value_text, value_bool,
                     None if value_date is None else adapt_date(value_date), day, SOURCE, "", adapt_time))

    def flush() -> None:
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)

    for i, eid in enumerate(ids):
        start = founded.get(eid)
        if start is not None:
            entry = min(datetime.date(start.year + int(niche_years[i] // 3), start.month, min(start.day, 28)), as_of)
            add(eid, "niche_entry_date", value_date=entry)
        add(eid, "strategic_emerging", value_bool=bool(u[i, 0] < 0.35))
        add(eid, "digital_level", value_number=float(digital[i]))
        add(eid, "rd_institute_level", value_text=str(institute[i]))
        add(eid, "leading_product_field", value_text=str(field[i]))
        add(eid, "local_feature_score", value_number=float(local[i]))
        if u[i, 1] < 0.45:
            add(eid, "quality_system_cert", value_bool=True)
        if u[i, 2] < 0.35:
            add(eid, "own_brand", value_bool=True)
        if u[i, 3] < 0.03:
            add(eid, "equity_financing_3y", value_number=float(equity[i]))
        if u[i, 4] < 0.02:
            add(eid, "sci_award_provincial_rank_3y", value_number=float(rank[i]))
        _more(add, eid, v[i], int(applied[i]), float(score[i]), str(share[i]), int(operation[i]))
        if len(rows) >= BATCH:
            flush()
            count += len(rows)
            rows.clear()
    flush()
    return count + len(rows)


def _more(add, eid: int, v, applied: int, score: float, share: str, operation: int) -> None:
    """Attributes read by little_giant, the 2026 versions, single_champion and the province indicators."""
    if v[0] < 0.7:
        add(eid, "class1_ip_applied", value_number=float(applied))
    if v[1] < 0.5:
        add(eid, "core_business_info_system", value_bool=True)
    if v[2] < 0.08:
        add(eid, "developed_market_cert", value_bool=True)
    if v[3] < 0.6:
        add(eid, "srdi_dev_score", value_number=score)
        add(eid, "srdi_dev_score_prev", value_number=round(max(0.0, score - 3 + 6 * v[4]), 1))
    if v[5] < 0.3:
        add(eid, "key_industry_field", value_bool=True)
    add(eid, "market_share_rank_level", value_text=share)
    add(eid, "innovative_operation_score", value_number=float(operation))
    if v[6] < 0.04:
        add(eid, "listing_progress", value_bool=True)
    if v[7] < 0.005:
        add(eid, "maker_china_top50_3y", value_bool=True)
    if v[8] < 0.004:
        add(eid, "sci_award_national_rank_3y", value_number=float(1 + int(v[9] * 6)))
