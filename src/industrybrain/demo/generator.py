"""Deterministic demo province: enterprises, five years of yearly facts, 36 months of monthly facts.

Same seed and same number of enterprises give the same database content on any machine and any
database (checked by `digest()`). Draws are vectorised with numpy (`Generator(PCG64)`), one independent
stream per chunk of `CHUNK_SIZE` enterprises, so a million enterprises never sit in memory at once.
Rows are written with one multi-row statement per batch (SQLite `executemany`, PostgreSQL `COPY`);
table and column names come from the models' `_meta`, values are always bound parameters.

The fixed window (independent of today's date): yearly facts 2019–2023, monthly facts January 2021 –
December 2023, so that 2023 — the year of the source report — is the last complete year
(Zhejiang 2023: 规上工业增加值 +6%, mechanisms.md §9).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone
from stdnum.cn import uscc as stdnum_uscc

from industrybrain.core.models import Industry, Region, User
from industrybrain.registry.models import (
    Certification,
    DailyElectricity,
    Enterprise,
    MonthlyFact,
    Tag,
    YearlyFact,
)
from industrybrain.registry.sizing import ABOVE_SCALE_MAIN_REVENUE, INDUSTRIAL_SIZE_THRESHOLDS, SizeClass
from industrybrain.registry.uscc import organisation_code_check_char

from . import profiles
from .profiles import DivisionProfile

GENERATOR_VERSION = 2
FIRST_YEAR, LAST_YEAR = 2019, 2023
YEARS: tuple[int, ...] = tuple(range(FIRST_YEAR, LAST_YEAR + 1))
MONTHLY_YEARS: tuple[int, ...] = (2021, 2022, 2023)
DEFAULT_ENTERPRISES = 20_000
DEFAULT_SEED = 2023
CHUNK_SIZE = 25_000
WRITE_BATCH = 50_000
SOURCE = "演示数据"
TZ = ZoneInfo("Asia/Shanghai")
CREATED_AT = datetime(2024, 4, 1, 9, 0, tzinfo=TZ)  # when the demo registry was "filled"

# Nominal growth of revenue into each year (firm trend and noise come on top), and the industrial
# producer price index relative to 2021 that turns value added into comparable prices. Calibrated so
# that the 规上 set's value added grows about 6% in 2023 at comparable prices [I].
MACRO_GROWTH: dict[int, float] = {2020: 0.02, 2021: 0.17, 2022: 0.085, 2023: 0.015}
PRICE_INDEX: dict[int, float] = {2021: 1.0, 2022: 1.04, 2023: 1.04 * 0.975}

# Log-revenue (万元) model: mu + sigma·z + tail·max(z − 1, 0)^1.5 + shifts.
REVENUE_MU = 5.45
REVENUE_SIGMA = 1.6
REVENUE_TAIL = 0.9
REVENUE_KNEE = 13.0

# Monthly shares of a year's output; the Spring Festival month dips (2021-02-12, 2022-02-01, 2023-01-22).
_BASE_SEASON = np.array([1.0, 1.0, 1.06, 1.02, 1.03, 1.06, 1.0, 0.98, 1.04, 1.0, 1.05, 1.12])
_SPRING_FESTIVAL = {2021: {1: 0.97, 2: 0.62}, 2022: {1: 0.9, 2: 0.66}, 2023: {1: 0.62, 2: 0.92}}
_SHANGHAI_2022 = {4: 0.45, 5: 0.7}  # the spring 2022 lockdown in Shanghai
_ELECTRICITY_SEASON = np.array([1.02, 0.98, 1.0, 0.97, 0.99, 1.03, 1.1, 1.12, 1.02, 0.97, 0.98, 1.02])

CERTIFICATIONS: dict[str, str] = {
    "high_tech": "高新技术企业",
    "innovative_sme": "创新型中小企业",
    "srdi_sme": "专精特新中小企业",
    "little_giant": '专精特新"小巨人"企业',
}
TAGS: tuple[tuple[str, str, str], ...] = (
    ("high-tech", "高新技术企业", "资质"),
    ("exporter", "出口型企业", "经营"),
    ("listed", "上市企业", "资本市场"),
    ("chain-master", "链主企业", "产业链"),
)

_USCC_ALPHABET = np.array(list("0123456789ABCDEFGHJKLMNPQRTUWXY"))
_MOD_MA = 31**6
_MOD_NUM = 10**8


@dataclass
class DemoStats:
    enterprises: int = 0
    yearly_facts: int = 0
    monthly_facts: int = 0
    certifications: int = 0
    tag_links: int = 0
    above_scale: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class _Reference:
    """Everything a chunk needs from the database and the profiles, prepared once."""

    region_codes: np.ndarray
    region_p: np.ndarray
    region_city: np.ndarray           # city short name per region
    region_county_short: np.ndarray   # county name without its suffix
    region_full: list[str]            # full names (for addresses)
    region_service_p: np.ndarray
    region_shanghai: np.ndarray
    class_codes: np.ndarray           # 小类 codes
    class_div: list[DivisionProfile]
    class_industrial: np.ndarray
    manuf_p: np.ndarray
    service_p: np.ndarray
    stewards: dict[str, list[int]]    # region code → steward user ids
    tag_ids: dict[str, int]
    start_id: int
    names: set[str] = field(default_factory=set)


ProgressFn = Callable[[int, int], None]


def _regions() -> tuple[list[Region], np.ndarray]:
    counties = list(Region.objects.filter(level=Region.Level.COUNTY, code__regex=r"^(33|31)").order_by("code"))
    weights = []
    for r in counties:
        factor = profiles.COUNTY_FACTORS.get(r.code, 1.0)
        if profiles.MOUNTAIN_TAG in (r.tags or []):
            factor = min(factor, profiles.MOUNTAIN_FACTOR)
        weights.append(factor)
    w = np.array(weights, dtype=float)
    p = np.zeros(len(counties))
    zj = np.array([r.code.startswith("33") for r in counties])
    for city, share in profiles.ZJ_CITY_WEIGHTS.items():
        mask = np.array([r.parent_id == city for r in counties])
        p[mask] = profiles.ZHEJIANG_SHARE * share * w[mask] / w[mask].sum()
    sh = ~zj
    p[sh] = (1 - profiles.ZHEJIANG_SHARE) * w[sh] / w[sh].sum()
    return counties, p / p.sum()


def _reference(start_id: int, stewards: dict[str, list[int]]) -> _Reference:
    counties, region_p = _regions()
    if not counties:
        raise RuntimeError("No regions: run `migrate` first (core/0003 loads the reference data).")
    codes, divs = [], []
    for div in profiles.MANUFACTURING + profiles.SERVICES:
        for code in div.classes:
            codes.append(code)
            divs.append(div)
    known = set(Industry.objects.filter(code__in=codes).values_list("code", flat=True))
    missing = sorted(set(codes) - known)
    if missing:
        raise RuntimeError(f"Industry codes missing from the reference data: {missing}")
    manuf = np.array([d.weight / len(d.classes) if d in profiles.MANUFACTURING else 0.0 for d in divs])
    service = np.array([d.weight / len(d.classes) if d in profiles.SERVICES else 0.0 for d in divs])
    sections = dict(Industry.objects.filter(code__in=codes).values_list("code", "section"))
    tag_ids = {}
    for code, name, kind in TAGS:
        tag, _ = Tag.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})
        tag_ids[code] = tag.pk

    def county_short(name: str) -> str:
        for suffix in ("畲族自治县", "新区", "区", "县", "市"):
            if name.endswith(suffix) and len(name) > len(suffix) + 1:
                return name[: -len(suffix)]
        return name

    return _Reference(
        region_codes=np.array([r.code for r in counties]),
        region_p=region_p,
        region_city=np.array([profiles.CITY_SHORT[r.parent_id or ""] for r in counties]),
        region_county_short=np.array([county_short(r.name) for r in counties]),
        region_full=[("浙江省" if r.code.startswith("33") else "上海市")
                     + (r.parent.name if r.parent and r.parent.name != "市辖区" else "") + r.name
                     for r in counties],
        region_service_p=np.array([profiles.URBAN_SERVICE_SHARE if r.code in profiles.URBAN_REGIONS
                                   else profiles.OTHER_SERVICE_SHARE for r in counties]),
        region_shanghai=np.array([r.code.startswith("31") for r in counties]),
        class_codes=np.array(codes),
        class_div=divs,
        class_industrial=np.array([sections[c] in profiles.INDUSTRIAL_SECTIONS for c in codes]),
        manuf_p=manuf / manuf.sum(),
        service_p=service / service.sum(),
        stewards=stewards,
        tag_ids=tag_ids,
        start_id=start_id,
    )


def _chunk_rng(seed: int, chunk: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, chunk])))


def _base31(values: np.ndarray, width: int) -> np.ndarray:
    digits = np.empty((len(values), width), dtype="<U1")
    v = values.copy()
    for k in range(width - 1, -1, -1):
        digits[:, k] = _USCC_ALPHABET[v % 31]
        v //= 31
    return digits


def _org_bodies(index: np.ndarray, founded_year: np.ndarray, seed: int) -> list[str]:
    """Unique 8-character organisation-code bodies: "MA…" for registrations since 2016, digits before.

    Each body is a bijection of the enterprise's index (an affine permutation modulo the code space),
    so bodies never repeat within a province and differ between seeds.
    """
    offset_ma = (seed * 7_919 + 12_345) % _MOD_MA
    offset_num = (seed * 104_729 + 27_182_818) % _MOD_NUM
    ma = (index * 387_420_489 + offset_ma) % _MOD_MA       # multiplier coprime to 31
    num = (index * 73_939_133 + offset_num) % _MOD_NUM     # multiplier coprime to 2 and 5
    ma_chars = _base31(ma, 6)
    new = founded_year >= 2016
    bodies = []
    for i in range(len(index)):
        if new[i]:
            bodies.append("MA" + "".join(ma_chars[i]))
        else:
            bodies.append(f"{num[i]:08d}")
    return bodies


def _usccs(region_codes: np.ndarray, bodies: list[str]) -> list[str]:
    out = []
    for region, body in zip(region_codes.tolist(), bodies, strict=True):
        head = "91" + region + body + organisation_code_check_char(body)
        out.append(head + stdnum_uscc.calc_check_digit(head))
    return out


@dataclass
class _Chunk:
    """The drawn arrays of one chunk of enterprises (n rows, 5 yearly columns)."""

    ids: np.ndarray
    region: np.ndarray
    cls: np.ndarray
    ownership: np.ndarray
    founded: list[date]
    founded_year: np.ndarray
    yearly: dict[str, np.ndarray]
    active: np.ndarray                 # (n, 5) bool: a fact exists for that year
    size: np.ndarray
    above: np.ndarray
    industrial: np.ndarray
    va_ratio: np.ndarray
    elec_intensity: np.ndarray


def _draw(ref: _Reference, rng: np.random.Generator, first_index: int, n: int) -> _Chunk:
    """All enterprise-level draws of one chunk, vectorised; the order of draws is part of the format."""
    index = np.arange(first_index, first_index + n, dtype=np.int64)
    region = rng.choice(len(ref.region_codes), size=n, p=ref.region_p)
    service = rng.random(n) < ref.region_service_p[region]
    manuf_cls = rng.choice(len(ref.class_codes), size=n, p=ref.manuf_p)
    service_cls = rng.choice(len(ref.class_codes), size=n, p=ref.service_p)
    cls = np.where(service, service_cls, manuf_cls)
    own_codes = np.array([o[0] for o in profiles.OWNERSHIP])
    own_idx = rng.choice(len(profiles.OWNERSHIP), size=n, p=[o[1] for o in profiles.OWNERSHIP])
    own_shift = np.array([o[2] for o in profiles.OWNERSHIP])[own_idx]
    year_span = np.arange(1985, LAST_YEAR + 1)
    year_w = np.exp(0.06 * (year_span - 1985))
    founded_year = rng.choice(year_span, size=n, p=year_w / year_w.sum())
    founded_day = rng.integers(0, 365, size=n)
    z = rng.standard_normal(n)

    if first_index == 0:  # the enterprise user's company: an established 规上 chip maker in 西湖区
        region[0] = int(np.nonzero(ref.region_codes == "330106")[0][0])
        cls[0] = int(np.nonzero(ref.class_codes == "3973")[0][0])
        own_idx[0], own_shift[0], founded_year[0], z[0] = 0, 0.0, 2011, 1.9

    divs = [ref.class_div[c] for c in cls]
    d_shift = np.array([d.revenue_shift for d in divs])
    d_rd = np.array([d.rd for d in divs])
    d_pc = np.array([d.per_capita for d in divs])
    d_energy = np.array([d.energy for d in divs])
    d_export = np.array([d.export_p for d in divs])
    d_va = np.array([d.va_ratio for d in divs])
    industrial = ref.class_industrial[cls]
    founded = [date(int(y), 1, 1) + timedelta(days=int(min(d, 364))) for y, d in zip(founded_year, founded_day,
                                                                                       strict=True)]
    age = LAST_YEAR - founded_year
    n_years = len(YEARS)

    # Revenue in the last year, then back-cast with growth.
    log_rev = (REVENUE_MU + REVENUE_SIGMA * z + REVENUE_TAIL * np.maximum(z - 1.0, 0.0) ** 1.5
               + d_shift + own_shift + 0.03 * (np.minimum(age, 20) - 10))
    # Soften the extreme tail above REVENUE_KNEE (about 44亿元): the largest single enterprises of a
    # province are a few hundred 亿元, not thousands.
    log_rev = np.where(log_rev > REVENUE_KNEE, REVENUE_KNEE + 0.5 * (log_rev - REVENUE_KNEE), log_rev)
    trend = rng.normal(0.0, 0.06, n)
    noise = rng.normal(0.0, 0.08, (n, n_years))
    rev = np.empty((n, n_years))
    rev[:, -1] = np.exp(log_rev)
    for t in range(n_years - 1, 0, -1):
        age_t = np.maximum(YEARS[t] - founded_year, 0)
        g = MACRO_GROWTH[YEARS[t]] + trend + noise[:, t] + 0.25 * np.exp(-age_t / 3.0)
        rev[:, t - 1] = rev[:, t] / np.clip(1.0 + g, 0.5, 3.0)
    years = np.array(YEARS)
    active = years[None, :] >= founded_year[:, None]
    # The founding year counts only the months after founding.
    first_year_share = np.clip((365 - founded_day) / 365.0, 0.05, 1.0)
    founding_cell = years[None, :] == founded_year[:, None]
    rev = np.where(founding_cell, rev * first_year_share[:, None], rev)
    if first_index == 0:
        rev[0] = 12_000.0 * np.array([0.78, 0.80, 0.90, 0.95, 1.0])

    def jitter(sigma: float) -> np.ndarray:
        return np.exp(rng.normal(0.0, sigma, (n, n_years)))

    mbr_ratio = np.clip(rng.uniform(0.85, 1.0, n)[:, None] + rng.normal(0, 0.01, (n, n_years)), 0.85, 1.0)
    rev = np.round(rev, 2)
    mbr = np.round(rev * mbr_ratio, 2)

    per_capita = d_pc * np.exp(rng.normal(0.0, 0.45, n)) * (np.maximum(rev[:, -1], 1.0) / 2000.0) ** 0.25
    staff_last = np.maximum(1.0, np.rint(rev[:, -1] / per_capita))
    staff = np.maximum(1.0, np.rint(staff_last[:, None] * (np.maximum(rev, 0.01) / np.maximum(rev[:, -1:], 0.01))
                                    ** 0.6 * jitter(0.04)))
    staff[:, -1] = staff_last
    if first_index == 0:
        staff[0] = np.array([120, 126, 140, 152, 160])

    margin = np.clip(rng.normal(0.055, 0.05, n)[:, None] + rng.normal(0, 0.03, (n, n_years)), -0.4, 0.4)
    profit = np.round(rev * margin, 2)
    net_profit = np.round(np.where(profit > 0, profit * 0.8, profit), 2)
    tax = np.round(rev * rng.uniform(0.015, 0.055, n)[:, None] * jitter(0.1), 2)
    assets = np.round(rev * np.exp(rng.normal(np.log(1.1), 0.35, n))[:, None] * jitter(0.05), 2)
    debt = np.clip(rng.beta(5, 5, n)[:, None] + rng.normal(0, 0.02, (n, n_years)), 0.02, 0.98)
    liabilities = np.round(assets * debt, 2)

    zero_rd = rng.random(n) < np.where(rev[:, -1] < 300, 0.45, 0.12)
    rd_ratio = np.clip(d_rd * np.exp(rng.normal(0.0, 0.6, n)), 0.0, 0.25)
    rd_ratio = np.where(zero_rd, 0.0, rd_ratio)
    if first_index == 0:
        rd_ratio[0] = 0.065
    rd_ratio_y = np.clip(rd_ratio[:, None] * jitter(0.15), 0.0, 0.3)
    rd_expense = np.round(rev * rd_ratio_y, 2)
    rd_share = np.clip(rd_ratio[:, None] * 2.2 * jitter(0.3), 0.0, 0.7)
    rd_staff = np.rint(staff * rd_share)

    rate = 0.8 * (np.maximum(rd_expense[:, -1], 0.0) / 100.0) ** 0.7 + 0.02
    inventions = np.zeros((n, n_years))
    class1 = np.zeros((n, n_years))
    class2 = np.zeros((n, n_years))
    inventions[:, -1] = rng.poisson(rate)
    class1[:, -1] = inventions[:, -1] + rng.poisson(0.1 * rate)
    class2[:, -1] = rng.poisson(2.5 * rate + np.where(industrial, 0.3, 0.1))
    for t in range(n_years - 1, 0, -1):
        inventions[:, t - 1] = rng.binomial(inventions[:, t].astype(np.int64), 0.85)
        class1[:, t - 1] = inventions[:, t - 1] + rng.binomial((class1[:, t] - inventions[:, t]).astype(np.int64), 0.85)
        class2[:, t - 1] = rng.binomial(class2[:, t].astype(np.int64), 0.8)

    output_ratio = rng.uniform(0.95, 1.1, n)[:, None] * jitter(0.02)
    output = np.where(industrial[:, None], np.round(rev * output_ratio, 2), np.nan)
    exporter = rng.random(n) < d_export * np.where(rev[:, -1] > 2000, 1.3, 0.8)
    export_share = rng.uniform(0.1, 0.9, n)
    base_for_exports = np.where(industrial[:, None], np.nan_to_num(output), rev)
    exports = np.round(np.where(exporter[:, None], base_for_exports * export_share[:, None] * jitter(0.08), 0.0), 2)
    energy = np.round(rev * d_energy[:, None] * np.exp(rng.normal(0.0, 0.5, n))[:, None] * jitter(0.05), 2)

    # Size class and 规上 from the last year, with the thresholds of registry.sizing.
    staff_l, rev_l = staff[:, -1], rev[:, -1]
    size = np.full(n, SizeClass.MICRO.value, dtype=object)
    assigned = np.zeros(n, dtype=bool)
    for name, min_staff, min_revenue in INDUSTRIAL_SIZE_THRESHOLDS:
        hit = ~assigned & (staff_l >= min_staff) & (rev_l >= float(min_revenue))
        size[hit] = name
        assigned |= hit
    above = mbr[:, -1] >= float(ABOVE_SCALE_MAIN_REVENUE)

    va_ratio = np.clip(d_va * np.exp(rng.normal(0.0, 0.15, n)), 0.08, 0.6)
    elec = (energy[:, -1] / np.maximum(np.nan_to_num(output[:, -1], nan=1.0), 1.0)) * 0.3 / 1.229
    elec_intensity = np.clip(elec, 0.001, 0.5)

    yearly = {
        "revenue": rev, "main_business_revenue": mbr, "profit": profit, "net_profit": net_profit, "tax": tax,
        "total_assets": assets, "total_liabilities": liabilities, "rd_expense": rd_expense, "staff": staff,
        "rd_staff": rd_staff, "ip_class1": class1, "invention_patents": inventions, "ip_class2": class2,
        "exports": exports, "energy_use": energy, "industrial_output": output,
    }
    return _Chunk(ids=index + ref.start_id, region=region, cls=cls, ownership=own_codes[own_idx], founded=founded,
                  founded_year=founded_year, yearly=yearly, active=active, size=size, above=above,
                  industrial=industrial, va_ratio=va_ratio, elec_intensity=elec_intensity)


# ------------------------------------------------------------------------------------------ calibration

# Zhejiang 2023 规上工业增加值 (comparable prices, 同口径), the report's figures [C]: 1–10月 +5.6%, 1–12月 +6.0%.
ZHEJIANG_VA_GROWTH = {10: 0.056, 12: 0.060}


def _calibrate_value_added(va: np.ndarray, active: np.ndarray, zhejiang: np.ndarray) -> None:
    """Scale one chunk's Zhejiang 2023 value added (in place) so that the like-for-like growth the platform
    derives (indicators.derive: enterprises reporting every month of the period in both years) is exactly
    ZHEJIANG_VA_GROWTH: months 1–10 by one factor (→ 1–10月 +5.6%), months 11–12 by another (→ 1–12月 +6.0%).

    Each chunk is calibrated on its own base: if every chunk's 2023 sum is (1 + g) × its 2022 sum, so is
    the province's, so the figures hold at any demo size without a second pass over the database. The
    columns are the 36 months 2021-01…2023-12; an enterprise is active from its founding month on, so the
    base of both periods is the Zhejiang enterprises already active in January 2022.
    """
    base = zhejiang & active[:, 12]
    p10, c10 = va[base, 12:22].sum(), va[base, 24:34].sum()
    p12, c1112 = va[base, 12:24].sum(), va[base, 34:36].sum()
    if p10 <= 0 or c10 <= 0 or c1112 <= 0:
        return
    f10 = (1 + ZHEJIANG_VA_GROWTH[10]) * p10 / c10
    f1112 = ((1 + ZHEJIANG_VA_GROWTH[12]) * p12 - f10 * c10) / c1112
    if f1112 <= 0:
        return
    va[zhejiang, 24:34] *= f10
    va[zhejiang, 34:36] *= f1112


# --------------------------------------------------------------------------------------------- writing


class _Writer:
    """Bulk inserts: PostgreSQL COPY, SQLite executemany; identifiers from `_meta`, values bound."""

    def __init__(self) -> None:
        self.vendor = connection.vendor
        self.qn = connection.ops.quote_name

    def insert(self, model: Any, columns: Sequence[str], rows: Iterable[tuple]) -> int:
        table = self.qn(model._meta.db_table)
        cols = ", ".join(self.qn(c) for c in columns)
        count = 0
        with connection.cursor() as cursor:
            raw = cursor.cursor
            if self.vendor == "postgresql":
                with raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            else:
                sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
                batch: list[tuple] = []
                for row in rows:
                    batch.append(row)
                    if len(batch) >= WRITE_BATCH:
                        raw.executemany(sql, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    raw.executemany(sql, batch)
                    count += len(batch)
        return count


Writer = _Writer  # for the modules' demo extensions (e.g. monitoring.electricity_demo)


def _dt(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _d(value: date) -> Any:
    return connection.ops.adapt_datefield_value(value)


def _pylist(values: np.ndarray, integer: bool = False) -> list:
    if integer:
        return [int(v) for v in values.tolist()]
    return [None if v != v else v for v in values.tolist()]  # NaN → NULL


class Generator:
    """Builds the demo province into the default database, chunk by chunk."""

    def __init__(self, enterprises: int = DEFAULT_ENTERPRISES, seed: int = DEFAULT_SEED,
                 progress: ProgressFn | None = None, chunk_size: int = CHUNK_SIZE) -> None:
        if enterprises < 1:
            raise ValueError("enterprises must be at least 1")
        if seed < 0:
            raise ValueError("seed must be non-negative")
        self.enterprises, self.seed, self.chunk_size = enterprises, seed, chunk_size
        self.progress = progress
        self.stats = DemoStats()
        self.writer = _Writer()

    def run(self, stewards: dict[str, list[int]] | None = None) -> DemoStats:
        from django.db.models import Max

        start_id = (Enterprise.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        ref = _reference(start_id, stewards or {})
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size=-262144")  # 256 MB page cache for index building
        done = 0
        for chunk_no, first in enumerate(range(0, self.enterprises, self.chunk_size)):
            n = min(self.chunk_size, self.enterprises - first)
            rng = _chunk_rng(self.seed, chunk_no)
            chunk = _draw(ref, rng, first, n)
            with transaction.atomic():
                self._write(ref, rng, chunk)
            done += n
            if self.progress:
                self.progress(done, self.enterprises)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [Enterprise]):
                    cursor.execute(sql)
        return self.stats

    # ---------------------------------------------------------------------------------------- per chunk

    def _names(self, ref: _Reference, rng: np.random.Generator, chunk: _Chunk) -> list[str]:
        n = len(chunk.ids)
        brand = np.array(list(profiles.BRAND_CHARS))
        c1, c2, c3 = (brand[rng.integers(0, len(brand), n)] for _ in range(3))
        prefix_kind = rng.random(n)
        word_pick = rng.integers(0, 1_000_000, n)
        names = []
        for i in range(n):
            r = chunk.region[i]
            city, county = ref.region_city[r], ref.region_county_short[r]
            if prefix_kind[i] < 0.78 or city == "上海":
                prefix = city
            elif prefix_kind[i] < 0.9:
                prefix = "浙江"
            else:
                prefix = county
            words = ref.class_div[chunk.cls[i]].words
            word = words[word_pick[i] % len(words)]
            form = "股份有限公司" if chunk.size[i] == "large" and word_pick[i] % 3 == 0 else "有限公司"
            stem = c1[i] + c2[i]
            name = f"{prefix}{stem}{word}{form}"
            extra = 0
            while name in ref.names:  # 同名: add a character, as registrars require a distinct 字号
                extra += 1
                stem = stem + c3[i] if extra == 1 else stem + brand[(word_pick[i] + extra * 7) % len(brand)]
                name = f"{prefix}{stem}{word}{form}"
            ref.names.add(name)
            names.append(name)
        return names

    def _write(self, ref: _Reference, rng: np.random.Generator, chunk: _Chunk) -> None:
        n = len(chunk.ids)
        names = self._names(ref, rng, chunk)
        bodies = _org_bodies(chunk.ids - ref.start_id, chunk.founded_year, self.seed)
        region_codes = ref.region_codes[chunk.region]
        usccs = _usccs(region_codes, bodies)
        surnames = np.array(list(profiles.SURNAMES))
        given = np.array(list(profiles.GIVEN_CHARS))
        s_idx = rng.integers(0, len(surnames), n)
        g1 = rng.integers(0, len(given), n)
        g2 = rng.integers(-len(given) // 2, len(given), n)  # negative: a one-character given name
        road = rng.integers(0, len(profiles.ROAD_WORDS), n)
        road_sfx = rng.integers(0, len(profiles.ROAD_SUFFIX), n)
        house = rng.integers(1, 1200, n)

        certs, holds = self._certifications(ref, rng, chunk, usccs)
        tags = self._tags(ref, rng, chunk, holds)
        steward = self._stewards(ref, chunk, region_codes, holds)

        created = _dt(CREATED_AT)
        adapt_date = connection.ops.adapt_datefield_value
        founded = [adapt_date(d) for d in chunk.founded]
        ent_rows = []
        for i in range(n):
            given_name = given[g1[i]] + (given[g2[i]] if g2[i] >= 0 else "")
            ent_rows.append((
                int(chunk.ids[i]), usccs[i], names[i], region_codes[i], ref.class_codes[chunk.cls[i]],
                founded[i], chunk.ownership[i], chunk.size[i], bool(chunk.above[i]), steward[i],
                f"{ref.region_full[chunk.region[i]]}{profiles.ROAD_WORDS[road[i]]}{profiles.ROAD_SUFFIX[road_sfx[i]]}"
                f"{house[i]}号",
                surnames[s_idx[i]] + given_name, created, created,
            ))
        self.writer.insert(Enterprise, (
            "id", "uscc", "name", "region_id", "industry_id", "founded_on", "ownership", "size_class", "above_scale",
            "steward_id", "address", "legal_representative", "created_at", "updated_at"), ent_rows)
        self.stats.enterprises += n
        self.stats.above_scale += int(chunk.above.sum())

        self._write_yearly(chunk)
        self._write_monthly(ref, rng, chunk)
        self.stats.certifications += self.writer.insert(Certification, (
            "enterprise_id", "kind", "name", "level", "issued_on", "valid_until", "issuer", "document_no"), certs)
        through = Enterprise.tags.through
        self.stats.tag_links += self.writer.insert(through, ("enterprise_id", "tag_id"), tags)

    def _write_yearly(self, chunk: _Chunk) -> None:
        n_years = len(YEARS)
        mask = chunk.active.ravel()
        ent = np.repeat(chunk.ids, n_years)[mask]
        year = np.tile(np.array(YEARS), len(chunk.ids))[mask]
        received = {y: _dt(datetime(y + 1, 3, 31, 9, 0, tzinfo=TZ)) for y in YEARS}
        int_fields = {"staff", "rd_staff", "ip_class1", "invention_patents", "ip_class2"}
        columns = [_pylist(chunk.yearly[f].ravel()[mask], integer=f in int_fields) for f in
                   YEARLY_FIELDS]
        rows = (
            (e, y, SOURCE, received[y], "{}", *values)
            for e, y, *values in zip(ent.tolist(), year.tolist(), *columns, strict=True)
        )
        self.stats.yearly_facts += self.writer.insert(
            YearlyFact, ("enterprise_id", "year", "source", "received_at", "field_sources", *YEARLY_FIELDS), rows)

    def _write_monthly(self, ref: _Reference, rng: np.random.Generator, chunk: _Chunk) -> None:
        sel = np.nonzero(chunk.above & chunk.industrial)[0]
        if len(sel) == 0:
            return
        k = len(sel)
        months = [(y, m) for y in MONTHLY_YEARS for m in range(1, 13)]
        season = np.empty((k, len(months)))
        shanghai = ref.region_shanghai[chunk.region[sel]]
        for j, (y, m) in enumerate(months):
            base = _BASE_SEASON[m - 1] * _SPRING_FESTIVAL[y].get(m, 1.0)
            season[:, j] = base
            if y == 2022 and m in _SHANGHAI_2022:
                season[shanghai, j] = base * _SHANGHAI_2022[m]
        season *= np.exp(rng.normal(0.0, 0.06, (k, len(months))))
        # Nothing before the founding month.
        founded = [chunk.founded[i] for i in sel]
        start = np.array([(f.year - MONTHLY_YEARS[0]) * 12 + f.month - 1 for f in founded])
        active = np.arange(len(months))[None, :] >= start[:, None]
        season = np.where(active, season, 0.0)
        year_cols = [YEARS.index(y) for y in MONTHLY_YEARS]
        output = np.zeros((k, len(months)))
        for yi in range(len(MONTHLY_YEARS)):
            block = slice(yi * 12, yi * 12 + 12)
            annual = np.nan_to_num(chunk.yearly["industrial_output"][sel, year_cols[yi]])
            share = season[:, block]
            total = share.sum(axis=1, keepdims=True)
            output[:, block] = np.where(total > 0, annual[:, None] * share / np.where(total > 0, total, 1.0), 0.0)
        price = np.repeat(np.array([PRICE_INDEX[y] for y in MONTHLY_YEARS]), 12)[None, :]
        va = output * chunk.va_ratio[sel, None] / price * np.exp(rng.normal(0.0, 0.02, (k, len(months))))
        _calibrate_value_added(va, active, ~shanghai)
        elec_season = np.tile(_ELECTRICITY_SEASON, len(MONTHLY_YEARS))[None, :]
        elec = output * chunk.elec_intensity[sel, None] * elec_season * np.exp(rng.normal(0, 0.05, (k, len(months))))
        mask = active.ravel()
        ent = np.repeat(chunk.ids[sel], len(months))[mask].tolist()
        ym = np.tile(np.arange(len(months)), k)[mask].tolist()
        out_l = np.round(output, 2).ravel()[mask].tolist()
        va_l = np.round(va, 2).ravel()[mask].tolist()
        el_l = np.round(elec, 2).ravel()[mask].tolist()
        received = [_dt(datetime(y + (m == 12), m % 12 + 1, 15, 9, 0, tzinfo=TZ)) for y, m in months]
        rows = (
            (e, months[j][0], months[j][1], SOURCE, received[j], "{}", o, v, el)
            for e, j, o, v, el in zip(ent, ym, out_l, va_l, el_l, strict=True)
        )
        self.stats.monthly_facts += self.writer.insert(MonthlyFact, (
            "enterprise_id", "year", "month", "source", "received_at", "field_sources", "output", "value_added",
            "electricity"), rows)

    def _certifications(self, ref: _Reference, rng: np.random.Generator, chunk: _Chunk,
                        usccs: list[str]) -> tuple[list[tuple], dict[str, np.ndarray]]:
        n = len(chunk.ids)
        y = chunk.yearly
        rev, staff = y["revenue"][:, -1], y["staff"][:, -1]
        rd_ratio = np.divide(y["rd_expense"][:, -1], rev, out=np.zeros(n), where=rev > 0)
        rd_staff_share = np.divide(y["rd_staff"][:, -1], staff, out=np.zeros(n), where=staff > 0)
        age = LAST_YEAR - chunk.founded_year
        sme = np.isin(chunk.size, ["medium", "small", "micro"])
        ip_ok = (y["ip_class1"][:, -1] >= 1) | (y["ip_class2"][:, -1] >= 4)
        u = rng.random((n, 4))
        year_pick = rng.integers(0, 3, (n, 4))
        day_pick = rng.integers(0, 60, (n, 4))
        serial = rng.integers(0, 1_000_000, n)

        high_tech = (rd_ratio >= 0.03) & ip_ok & (rd_staff_share >= 0.1) & (age >= 1) & (staff >= 5) & (u[:, 0] < 0.6)
        innovative = sme & (rd_ratio >= 0.02) & ip_ok & (u[:, 1] < 0.35)
        srdi = sme & (rev >= 1000) & (rd_ratio >= 0.03) & (age >= 2) & ip_ok & (u[:, 2] < 0.18)
        little = srdi & (rev >= 8000) & (rd_ratio >= 0.03) & (y["ip_class1"][:, -1] >= 2) & (u[:, 3] < 0.35)
        if chunk.ids[0] == ref.start_id and chunk.region[0] == int(np.nonzero(ref.region_codes == "330106")[0][0]):
            high_tech[0] = srdi[0] = innovative[0] = True

        rows: list[tuple] = []
        zj = np.array([c.startswith("33") for c in ref.region_codes[chunk.region]])

        def add(i: int, kind: str, level: str, issued: date, issuer: str, doc: str) -> None:
            valid = date(issued.year + 3, issued.month, issued.day) - timedelta(days=1)
            rows.append((int(chunk.ids[i]), kind, CERTIFICATIONS[kind], level, _d(issued), _d(valid), issuer, doc))

        for i in np.nonzero(high_tech | innovative | srdi)[0].tolist():
            prov = "浙江省" if zj[i] else "上海市"
            if high_tech[i]:
                yr = 2021 + int(year_pick[i, 0])
                issued = date(yr, 11, 1) + timedelta(days=int(day_pick[i, 0]))
                issuer = (f"{prov}科学技术厅、{prov}财政厅、国家税务总局{prov}税务局" if zj[i]
                          else "上海市科学技术委员会、上海市财政局、国家税务总局上海市税务局")
                add(i, "high_tech", "国家级", issued, issuer, f"GR{yr}{'33' if zj[i] else '31'}{serial[i]:06d}")
            if innovative[i]:
                yr = 2022 + int(year_pick[i, 1] % 2)
                issued = date(yr, 9, 1) + timedelta(days=int(day_pick[i, 1]))
                add(i, "innovative_sme", "省级", issued, f"{prov}中小企业主管部门", "")
            if srdi[i]:
                yr = 2021 + int(year_pick[i, 2] % (2 if little[i] else 3))
                issued = date(yr, 11, 15) + timedelta(days=int(day_pick[i, 2] % 30))
                issuer = "浙江省经济和信息化厅" if zj[i] else "上海市经济和信息化委员会"
                add(i, "srdi_sme", "省级", issued, issuer, "")
                if little[i]:
                    batch_year = yr + 1 + int(year_pick[i, 3] % (LAST_YEAR - yr))
                    batch_day = {2022: date(2022, 8, 10), 2023: date(2023, 7, 20)}[batch_year]
                    add(i, "little_giant", "国家级", batch_day, "工业和信息化部", "")
        return rows, {"high_tech": high_tech, "srdi": srdi, "little": little}

    def _tags(self, ref: _Reference, rng: np.random.Generator, chunk: _Chunk,
              holds: dict[str, np.ndarray]) -> list[tuple]:
        y = chunk.yearly
        rev = y["revenue"][:, -1]
        base = np.where(chunk.industrial, np.nan_to_num(y["industrial_output"][:, -1]), rev)
        export_share = np.divide(y["exports"][:, -1], base, out=np.zeros(len(rev)), where=base > 0)
        u = rng.random((len(rev), 2))
        listed = ((rev >= 50_000) & (u[:, 0] < 0.35)) | ((rev >= 20_000) & (u[:, 0] < 0.06))
        chain = (chunk.size == "large") & chunk.industrial & (rev >= 100_000) & (u[:, 1] < 0.3)
        rows: list[tuple] = []
        for code, mask in (("high-tech", holds["high_tech"]), ("exporter", export_share >= 0.3),
                           ("listed", listed), ("chain-master", chain)):
            tag_id = ref.tag_ids[code]
            rows.extend((int(e), tag_id) for e in chunk.ids[mask])
        return rows

    def _stewards(self, ref: _Reference, chunk: _Chunk, region_codes: np.ndarray,
                  holds: dict[str, np.ndarray]) -> list[int | None]:
        """一企一管家: 规上 and certified enterprises of a region with stewards get one, in turn."""
        out: list[int | None] = [None] * len(chunk.ids)
        if not ref.stewards:
            return out
        served = chunk.above | holds["srdi"] | holds["high_tech"]
        for i in np.nonzero(served)[0]:
            ids = ref.stewards.get(str(region_codes[i]))
            if ids:
                out[i] = ids[(int(chunk.ids[i]) - ref.start_id) % len(ids)]  # the first enterprise: first steward
        return out


YEARLY_FIELDS: tuple[str, ...] = (
    "revenue", "main_business_revenue", "profit", "net_profit", "tax", "total_assets", "total_liabilities",
    "rd_expense", "staff", "rd_staff", "ip_class1", "invention_patents", "ip_class2", "exports", "energy_use",
    "industrial_output",
)


def generate(enterprises: int = DEFAULT_ENTERPRISES, seed: int = DEFAULT_SEED, progress: ProgressFn | None = None,
             stewards: dict[str, list[int]] | None = None) -> DemoStats:
    """Generate the demo registry into the default database (no users; see `users.ensure_demo`)."""
    return Generator(enterprises, seed, progress).run(stewards)


def wipe() -> None:
    """Remove the registry content the generator writes (facts, certifications, tag links, enterprises).

    Facts and certifications go with one DELETE each; enterprises through the ORM so that other modules'
    relations cascade or protect as declared. The audit log is not written for this bulk removal.
    """
    from auditlog.context import disable_auditlog

    qn = connection.ops.quote_name
    with transaction.atomic(), disable_auditlog():
        with connection.cursor() as cursor:
            for model in (DailyElectricity, MonthlyFact, YearlyFact, Certification, Enterprise.tags.through):
                cursor.execute(f"DELETE FROM {qn(model._meta.db_table)}")  # noqa: S608
        User.objects.filter(enterprise__isnull=False).update(enterprise=None)
        Enterprise.objects.all().delete()


def digest() -> str:
    """A SHA-256 of the generated content, keyed by USCC (surrogate ids excluded): equal builds, equal digests."""
    h = hashlib.sha256()

    def feed(rows: Iterable[tuple]) -> None:
        for row in rows:
            h.update(repr(tuple(_norm(v) for v in row)).encode())

    ent_fields = ("uscc", "name", "region_id", "industry_id", "founded_on", "ownership", "size_class", "above_scale",
                  "steward__username", "address", "legal_representative")
    feed(Enterprise.objects.order_by("uscc").values_list(*ent_fields).iterator(chunk_size=5000))
    feed(YearlyFact.objects.order_by("enterprise__uscc", "year").values_list(
        "enterprise__uscc", "year", "source", *YEARLY_FIELDS).iterator(chunk_size=5000))
    feed(MonthlyFact.objects.order_by("enterprise__uscc", "year", "month").values_list(
        "enterprise__uscc", "year", "month", "output", "value_added", "electricity").iterator(chunk_size=5000))
    feed(Certification.objects.order_by("enterprise__uscc", "kind").values_list(
        "enterprise__uscc", "kind", "name", "level", "issued_on", "valid_until", "issuer", "document_no"))
    feed(Enterprise.tags.through.objects.order_by("enterprise__uscc", "tag__code").values_list(
        "enterprise__uscc", "tag__code"))
    return h.hexdigest()


def _norm(value: Any) -> Any:
    if isinstance(value, float) and not math.isnan(value):
        return round(value, 2)
    return str(value) if value is not None else None


def build_timestamp() -> datetime:
    return timezone.now()
