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

from industrybrain.registry.models import Enterprise, YearlyFact

from .models import EnterpriseAttribute

SOURCE = "演示数据"
BATCH = 20_000


def build(context: Any) -> int:
    """Seed the attributes and load the rule library; returns the number of attributes written."""
    from .loader import load_library

    load_library()
    last_year = int(getattr(context, "last_year", 2023))
    rng = np.random.default_rng([int(context.seed), 20221])
    as_of = datetime.date(last_year + 1, 3, 31)
    facts = dict(YearlyFact.objects.filter(year=last_year, revenue__gt=0, rd_expense__gt=0)
                 .values_list("enterprise_id", "revenue"))
    founded = dict(Enterprise.objects.filter(pk__in=list(facts)).values_list("id", "founded_on"))
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
    rows: list[EnterpriseAttribute] = []
    count = 0

    def add(eid: int, code: str, **value: Any) -> None:
        rows.append(EnterpriseAttribute(enterprise_id=eid, code=code, as_of=as_of, source=SOURCE, **value))

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
        if len(rows) >= BATCH:
            EnterpriseAttribute.objects.bulk_create(rows)
            count += len(rows)
            rows = []
    EnterpriseAttribute.objects.bulk_create(rows)
    return count + len(rows)
