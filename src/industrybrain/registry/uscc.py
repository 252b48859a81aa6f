"""Unified social credit code (统一社会信用代码, GB 32100-2015) validation with Chinese messages."""

from __future__ import annotations

from django.utils.translation import gettext as _
from stdnum import exceptions
from stdnum.cn import uscc as stdnum_uscc

# GB 11714-1997 organisation code: 8 body characters, weights, then a check character.
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


class USCCError(ValueError):
    """A code that is not a valid USCC; the message is Chinese and says why."""


def normalize(code: str) -> str:
    return stdnum_uscc.compact(code or "")


def validate(code: str) -> str:
    """Return the normalized code or raise USCCError with a Chinese reason."""
    compact = normalize(code)
    if not compact:
        raise USCCError(_("统一社会信用代码不能为空"))
    try:
        return stdnum_uscc.validate(compact)
    except exceptions.InvalidLength:
        raise USCCError(_("统一社会信用代码应为18位，实际为%(length)s位") % {"length": len(compact)}) from None
    except exceptions.InvalidFormat:
        raise USCCError(_("统一社会信用代码格式错误：含有不允许的字符（不得使用I、O、Z、S、V）")) from None
    except exceptions.InvalidComponent:
        raise USCCError(_("统一社会信用代码格式错误：登记管理部门代码、机构类别代码或行政区划码无效")) from None
    except exceptions.InvalidChecksum:
        raise USCCError(_("统一社会信用代码校验位错误（第18位）")) from None
    except exceptions.ValidationError:
        raise USCCError(_("统一社会信用代码无效")) from None


def organisation_code_check_char(body: str) -> str:
    total = sum(_ORG_ALPHABET.index(ch) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def organisation_code_warning(code: str) -> str | None:
    """Characters 9–17 are the GB 11714 organisation code; stdnum does not check its own digit."""
    compact = normalize(code)
    org = compact[8:17]
    if len(org) != 9 or any(ch not in _ORG_ALPHABET for ch in org[:8]):
        return _("组织机构代码部分（第9–17位）格式异常")
    if organisation_code_check_char(org[:8]) != org[8]:
        return _("组织机构代码部分（第9–17位）校验位不符（GB 11714），请核对")
    return None


def make_uscc(region_code: str, org_body: str, registrar: str = "9", kind: str = "1") -> str:
    """Build a valid USCC (both check characters) — used by the demo generator and tests."""
    org = org_body + organisation_code_check_char(org_body)
    head = registrar + kind + region_code + org
    return head + stdnum_uscc.calc_check_digit(head)
