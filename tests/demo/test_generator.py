"""The demo province generator: deterministic, complete, consistent with the registry's own rules."""

from collections import Counter

import pytest

from industrybrain.core.models import Industry
from industrybrain.demo import generator, users
from industrybrain.registry import sizing, uscc
from industrybrain.registry.models import Certification, Enterprise, MonthlyFact, YearlyFact

pytestmark = pytest.mark.django_db

SMALL = 300


def build(n: int = SMALL, seed: int = 11) -> generator.DemoStats:
    return generator.generate(n, seed, stewards=users.ensure_stewards())


def test_same_seed_same_content_other_seed_other_content():
    build()
    first = generator.digest()
    generator.wipe()
    assert not Enterprise.objects.exists()
    build()
    assert generator.digest() == first
    generator.wipe()
    build(seed=12)
    assert generator.digest() != first


def test_counts_follow_founding_dates_and_scale():
    stats = build()
    assert Enterprise.objects.count() == SMALL == stats.enterprises
    assert YearlyFact.objects.count() == stats.yearly_facts
    assert MonthlyFact.objects.count() == stats.monthly_facts > 0
    years = Counter(YearlyFact.objects.values_list("enterprise_id", flat=True))
    months = Counter(MonthlyFact.objects.values_list("enterprise_id", flat=True))
    sections = dict(Industry.objects.values_list("code", "section"))
    for ent in Enterprise.objects.all():
        # five years (2019–2023), or the years since the enterprise was founded
        assert years[ent.pk] == generator.LAST_YEAR - max(ent.founded_on.year, generator.FIRST_YEAR) + 1
        industrial = sections[ent.industry_id] in "BCD"
        if ent.above_scale and industrial and ent.founded_on.year < generator.MONTHLY_YEARS[0]:
            assert months[ent.pk] == 36
        elif ent.above_scale and industrial:
            assert 0 < months[ent.pk] <= 36
        else:
            assert months[ent.pk] == 0  # monthly facts only for 规上 industrial enterprises
    assert set(YearlyFact.objects.values_list("year", flat=True)) == set(generator.YEARS)
    assert set(MonthlyFact.objects.values_list("year", flat=True)) == set(generator.MONTHLY_YEARS)


def test_size_class_and_above_scale_equal_registry_sizing():
    build()
    checked = 0
    for ent in Enterprise.objects.all():
        fact = ent.latest_yearly_fact()
        assert fact.year == generator.LAST_YEAR
        assert ent.size_class == sizing.size_class(fact.staff, fact.revenue), ent.uscc
        assert ent.above_scale == sizing.is_above_scale(fact.main_business_revenue), ent.uscc
        checked += 1
    assert checked == SMALL


def test_every_uscc_is_valid_and_unique():
    build()
    codes = list(Enterprise.objects.values_list("uscc", "region_id"))
    assert len({c for c, _ in codes}) == SMALL
    for code, region in codes:
        assert uscc.validate(code) == code
        assert uscc.organisation_code_warning(code) is None
        assert code[2:8] == region
        assert not set(code) & set("IOZSV")


def test_regions_are_county_level_and_weighted():
    build(2000)
    regions = Counter(Enterprise.objects.values_list("region__level", flat=True))
    assert set(regions) == {3}
    zhejiang = Enterprise.objects.filter(region__code__startswith="33").count()
    assert 0.80 < zhejiang / 2000 < 0.90
    assert Enterprise.objects.filter(industry__section="C").count() / 2000 > 0.75
    assert Enterprise.objects.filter(ownership="private").count() / 2000 > 0.8


def test_above_scale_share_and_value_added_growth_are_plausible():
    build(5000, seed=2023)
    industrial = Enterprise.objects.filter(industry__section__in=["B", "C", "D"])
    share = industrial.filter(above_scale=True).count() / industrial.count()
    assert 0.08 < share < 0.16
    # same-scope (同口径) growth of comparable-price value added, last year: Zhejiang 2023 was +6%
    full = [e for e, c in Counter(MonthlyFact.objects.filter(year=2022).values_list("enterprise_id", flat=True)).items()
            if c == 12]
    va = {y: sum(MonthlyFact.objects.filter(year=y, enterprise_id__in=full).values_list("value_added", flat=True))
          for y in (2022, 2023)}
    growth = float(va[2023] / va[2022] - 1)
    assert 0.0 < growth < 0.12


def test_certifications_and_revenue_shape():
    build(5000, seed=2023)
    kinds = Counter(Certification.objects.values_list("kind", flat=True))
    assert set(kinds) <= set(generator.CERTIFICATIONS)
    assert 0.01 < kinds["high_tech"] / 5000 < 0.10
    assert 0.002 < kinds["srdi_sme"] / 5000 < 0.03
    for cert in Certification.objects.all()[:200]:
        assert cert.valid_until.year == cert.issued_on.year + 3 or cert.valid_until.year == cert.issued_on.year + 2
    revenues = sorted(YearlyFact.objects.filter(year=generator.LAST_YEAR).values_list("revenue", flat=True))
    median, top = revenues[len(revenues) // 2], revenues[-1]
    assert top > 100 * median  # heavy-tailed
