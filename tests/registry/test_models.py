from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from industrybrain.registry.models import Enterprise
from tests import factories

pytestmark = pytest.mark.django_db


def test_classification_comes_from_latest_year(xihu_enterprise):
    factories.yearly_fact(xihu_enterprise, 2022, revenue=Decimal("1500"), main_business_revenue=Decimal("1400"),
                          staff=50)
    xihu_enterprise.refresh_from_db()
    assert (xihu_enterprise.size_class, xihu_enterprise.above_scale) == ("small", False)
    factories.yearly_fact(xihu_enterprise, 2023, revenue=Decimal("45000"),
                          main_business_revenue=Decimal("44000"), staff=1200)
    xihu_enterprise.refresh_from_db()
    assert (xihu_enterprise.size_class, xihu_enterprise.above_scale) == ("large", True)


def test_model_validation_rejects_bad_uscc():
    ent = Enterprise(uscc="91350100M000100Y44", name="x", region_id="330106", industry_id="3973")
    with pytest.raises(ValidationError) as info:
        ent.full_clean()
    assert "校验位错误" in str(info.value)


def test_field_source_override(xihu_enterprise):
    fact = factories.yearly_fact(xihu_enterprise, source="统计局")
    fact.record_field_source(["tax"], "税务局", "2024-03-01T00:00:00+08:00")
    assert fact.source_of("tax")["source"] == "税务局"
    assert fact.source_of("revenue")["source"] == "统计局"
