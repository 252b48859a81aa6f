"""Demo hook: the major-project pipeline of the demo province (run by `industrybrain demo`)."""

from __future__ import annotations

import datetime as dt

from industrybrain.registry.models import Enterprise

from . import alerts, demo

# The default demo (20,000 enterprises) carries the report's full pipeline (about 1,500 projects:
# 187 new starts, 98 completions, 1,300+ signed projects over 1亿 worth 1.2万亿); smaller provinces
# get a proportional share.
FULL_PIPELINE_AT = 20_000


def build(context) -> str:
    scale = min(1.0, context.enterprises / FULL_PIPELINE_AT)
    # The demo province stands at the end of its last fact year (the report's year), so that the
    # pipeline and its alerts are the same whatever day the demo is built.
    as_of = dt.date(context.last_year, 12, 31)
    clear()
    pool = Enterprise.objects.filter(above_scale=True).only("pk", "uscc", "name", "region_id", "industry_id")
    summary = demo.generate(pool, seed=context.seed, scale=scale, as_of=as_of)
    alerts.run_checks(as_of)
    return (f"重大项目 {summary.projects} 个（当年新开工 {summary.starts} 个、竣工 {summary.completions} 个；"
            f"签约亿元以上 {summary.signed_big} 个，总投资 {summary.signed_big_total / 10000:.0f} 亿元）")


def clear() -> None:
    """Demo projects go before the registry is wiped: they protect their investing enterprises
    (their alerts go with them by cascade)."""
    demo.clear()
