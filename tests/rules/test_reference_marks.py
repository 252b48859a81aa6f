"""What shared/reference/tiers.md says, encoded with its marks (已确认 / 仅第三方 / 记忆) — checked line by line."""

import datetime

from industrybrain.rules.loader import LIBRARY, apply_province
from industrybrain.rules.rulefile import load_rule

SRDI = (LIBRARY / "tiers" / "srdi_sme_2022.yaml").read_text(encoding="utf-8")


def test_shandong_characteristic_indicators_follow_the_reference_example():
    # tiers.md §2 (heading marked [已确认]) row 9: 重点产业领域 4；创新生产经营 ≤4；细分市场占有率 国内>10%或全国前三 4、
    # 全国前十或本省前三 3、本省前十 2；上市进展 3 — the example has no mark of its own, so the section's applies
    spec = load_rule(apply_province(SRDI, "shandong"))
    dim = next(d for d in spec.dimensions if d.id == "characteristic")
    inds = {i.id: i for i in spec.indicators if i.dimension == dim.id}
    assert dim.max == 15 and {k: i.max for k, i in inds.items()} == {"x9a": 4, "x9b": 4, "x9c": 4, "x9d": 3}
    assert [b.get("points") for b in inds["x9c"].brackets] == [4, 3, 2, 0]
    assert {i.mark for i in inds.values()} == {"已确认"}


def test_zhejiang_list_is_not_in_the_reference_and_stays_marked_from_memory():
    # tiers.md has only Shandong's example: Zhejiang's own indicators are not invented
    spec = load_rule(apply_province(SRDI, "zhejiang"))
    inds = [i for i in spec.indicators if i.dimension == "characteristic"]
    assert [(i.id, i.max, i.mark) for i in inds] == [("x9", 15, "记忆")]
    assert inds[0].points.names == frozenset({"local_feature_score"})


def test_little_giant_2025_dates_are_flagged_as_unverified():
    # tiers.md §3: 工信厅企业函〔2025〕190号 [已确认] — its date of effect is not in the reference
    v2022 = load_rule((LIBRARY / "tiers" / "little_giant_2022.yaml").read_text(encoding="utf-8"))
    v2025 = load_rule((LIBRARY / "tiers" / "little_giant_2025.yaml").read_text(encoding="utf-8"))
    assert v2025.valid_from == datetime.date(2025, 1, 1) and v2022.valid_to == datetime.date(2024, 12, 31)
    assert "valid_from 取 2025-01-01 [记忆" in v2025.notes and "valid_to 取 2024-12-31 [记忆" in v2022.notes
    assert v2025.valid_to == datetime.date(2026, 3, 31)  # 工信部企业〔2026〕2号 in force 2026-04-01 (§3A)
    assert "190号" in v2025.source["document"] and v2025.mark == "已确认"
