"""The ladder of 优质企业梯度培育: five tiers, the rule that evaluates each and the certification that proves it.

Tier codes are the glossary's (innovative_sme, srdi_sme, little_giant, single_champion, leading_enterprise);
each evaluable tier is evaluated by the rule of the same id (rules/library/tiers), whose version in force on
the evaluation date is taken (the 2026 measures switch on 2026-04-01 by `valid_from`). 制造业领航企业 has no
national quantitative standard (tiers.md §5): it is a manual designation, recorded as a certification of
kind `leading_enterprise` and never evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_noop


@dataclass(frozen=True)
class Tier:
    code: str
    label: str
    short: str
    order: int
    evaluated: bool = True
    default_level: str = "省级"

    @property
    def rule_code(self) -> str | None:
        return self.code if self.evaluated else None


TIERS: tuple[Tier, ...] = (
    Tier("innovative_sme", gettext_noop("创新型中小企业"), gettext_noop("创新型"), 1),
    Tier("srdi_sme", gettext_noop("专精特新中小企业"), gettext_noop("专精特新"), 2),
    Tier("little_giant", gettext_noop("专精特新“小巨人”企业"), gettext_noop("小巨人"), 3, default_level="国家级"),
    Tier("single_champion", gettext_noop("制造业单项冠军企业"), gettext_noop("单项冠军"), 4, default_level="国家级"),
    Tier("leading_enterprise", gettext_noop("制造业领航企业"), gettext_noop("领航企业"), 5, evaluated=False,
         default_level="国家级"),
)
BY_CODE: dict[str, Tier] = {t.code: t for t in TIERS}
TIER_CODES: tuple[str, ...] = tuple(BY_CODE)
EVALUATED: tuple[Tier, ...] = tuple(t for t in TIERS if t.evaluated)
TIER_CHOICES: list[tuple[str, str]] = [(t.code, t.label) for t in TIERS]
EVALUATED_CHOICES: list[tuple[str, str]] = [(t.code, t.label) for t in EVALUATED]

LEVELS: tuple[str, ...] = (gettext_noop("国家级"), gettext_noop("省级"), gettext_noop("市级"))
VALIDITY_YEARS = 3
EXPIRY_WARNING_MONTHS = 6


def get(code: str) -> Tier:
    try:
        return BY_CODE[code]
    except KeyError:
        raise KeyError(f"未知的梯度层级：{code}（可选：{'、'.join(TIER_CODES)}）") from None


def at_or_above(code: str) -> list[str]:
    """This tier and every higher one: an enterprise holding any of them is not in this tier's pool."""
    order = get(code).order
    return [t.code for t in TIERS if t.order >= order]


def below(code: str) -> Tier | None:
    """The tier just under this one (专精特新 → 创新型, 小巨人 → 专精特新, 单项冠军 → 小巨人), or None."""
    order = get(code).order
    return next((t for t in TIERS if t.order == order - 1), None)


def tier_of_kind(kind: str) -> Tier | None:
    return BY_CODE.get(kind)
