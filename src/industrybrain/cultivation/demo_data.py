"""Demo hook: certificate batches and re-review status, the top tiers the registry demo lacks (单项冠军,
领航企业), the tier evaluations as of 2024-07-01 (so the pool is populated) and the expiry alerts.

Runs after the rules extension (INSTALLED_APPS order), which loads the rule library and seeds the evaluation
attributes as of the end of March after the demo's last fact year; the evaluation date here is 1 July of that
year (2024-07-01 for the 2019–2023 demo), when last year's accounts are in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q

from industrybrain.registry.models import Certification, YearlyFact

from . import certificates, services, tiers
from .models import CertificationInfo, ExpiryAlert, ReviewStatus, TierRun

DEMO_NOTE = "演示数据"
# 工业和信息化部公布的批次（小巨人第四批 2022-08、第五批 2023-07；单项冠军第七批 2022-11、第八批 2023-12）
LITTLE_GIANT_BATCHES = {2022: "第四批", 2023: "第五批"}
CHAMPION_BATCHES = ((dt.date(2022, 11, 28), "第七批", "工信部联企业函〔2022〕320号"),
                    (dt.date(2023, 12, 12), "第八批", "工信部联企业函〔2023〕345号"))


def _batch(cert_kind: str, issued: dt.date) -> str:
    if cert_kind == "little_giant":
        return LITTLE_GIANT_BATCHES.get(issued.year, f"{issued.year}年")
    return f"{issued.year}年度"


def _top_tiers(last_year: int, scale: int) -> int:
    """单项冠军 for the largest manufacturers (main revenue ≥ 4亿元, tiers.md §4), 领航企业 for the two largest."""
    big = list(YearlyFact.objects.filter(year=last_year, main_business_revenue__gte=40000,
                                         enterprise__industry__section="C")
               .order_by("-main_business_revenue", "enterprise_id").values_list("enterprise_id", flat=True)[:scale])
    made: list[tuple[Certification, str]] = []
    for n, eid in enumerate(big):
        issued, batch, doc = CHAMPION_BATCHES[n % 2]
        made.append((Certification(enterprise_id=eid, kind="single_champion", name=tiers.get("single_champion").label,
                                   level="国家级", issued_on=issued,
                                   valid_until=certificates.default_valid_until(issued),
                                   issuer="工业和信息化部、中国工业经济联合会", document_no=doc), batch))
    for eid in big[:2]:
        issued = dt.date(last_year, 12, 20)
        made.append((Certification(enterprise_id=eid, kind="leading_enterprise",
                                   name=tiers.get("leading_enterprise").label, level="省级", issued_on=issued,
                                   valid_until=certificates.default_valid_until(issued),
                                   issuer="省经济和信息化厅"), f"{last_year}年度"))
    created = Certification.objects.bulk_create([c for c, _b in made])
    CertificationInfo.objects.bulk_create([CertificationInfo(certification=c, batch=b, note=DEMO_NOTE)
                                           for c, (_c, b) in zip(created, made, strict=True)])
    return len(created)


def build(context: Any) -> str:
    clear()
    last_year = int(getattr(context, "last_year", 2023))
    as_of = dt.date(last_year + 1, 7, 1)
    top = _top_tiers(last_year, max(2, int(context.enterprises) // 2000))
    review_until = certificates.add_months(as_of, tiers.EXPIRY_WARNING_MONTHS)
    infos = []
    for pk, kind, issued, valid in (Certification.objects.filter(kind__in=tiers.TIER_CODES, cultivation__isnull=True)
                                    .values_list("pk", "kind", "issued_on", "valid_until").iterator(chunk_size=5000)):
        pending = valid is not None and valid <= review_until and kind in ("srdi_sme", "little_giant")
        infos.append(CertificationInfo(certification_id=pk, batch=_batch(kind, issued), note=DEMO_NOTE,
                                       review_status=ReviewStatus.PENDING if pending else ReviewStatus.NONE))
    CertificationInfo.objects.bulk_create(infos, batch_size=5000)
    summary = []
    for tier in tiers.EVALUATED:
        try:
            run = services.start_run(None, tier.code, as_of, enqueue=False)
        except services.RunError:
            continue
        done = services.execute_run(run.pk)
        if done is not None:
            summary.append(f"{tier.short}：符合{done.pass_count}、后备库{done.pool_count}")
    alerts = certificates.send_expiry_alerts(as_of)
    return (f"梯度培育：评价日期{as_of}，" + "；".join(summary) +
            f"；单项冠军/领航企业{top}个；到期提醒{alerts.certificates}个资质")


def clear() -> None:
    TierRun.objects.all().delete()
    ExpiryAlert.objects.all().delete()
    Certification.objects.filter(Q(kind__in=("single_champion", "leading_enterprise")),
                                 cultivation__note=DEMO_NOTE).delete()
    CertificationInfo.objects.filter(note=DEMO_NOTE).delete()
