"""Load rule files into the database as versioned rules (the YAML text is kept verbatim)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

from .models import Rule, RuleVersion
from .rulefile import FileProblem, RuleFileError, load_rule

LIBRARY = Path(__file__).resolve().parent / "library"


@dataclass
class LoadResult:
    version: RuleVersion
    status: str  # created | updated | unchanged


PROVINCES = LIBRARY / "provinces"


def library_files() -> list[Path]:
    return sorted(p for p in LIBRARY.rglob("*.yaml")
                  if not p.name.endswith(".cases.yaml") and PROVINCES not in p.parents)


# -- province-set indicators (特色化) ------------------------------------------------------------

def province_configs() -> dict[str, dict]:
    """Province configurations shipped in library/provinces/*.yaml, by province code (e.g. "shandong")."""
    out = {}
    for path in sorted(PROVINCES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out[data["province"]] = data
    return out


def default_province() -> str:
    """The deployment's province for province-set indicators: settings.IB_RULES_PROVINCE or the
    environment variable of the same name; empty = the national text (省定得分 as one attribute)."""
    return str(getattr(settings, "IB_RULES_PROVINCE", "") or os.environ.get("IB_RULES_PROVINCE", "")).strip()


def apply_province(text: str, province: str | dict | None) -> str:
    """The rule text with a province's indicators in place of the dimension its config names.

    The result is a complete, self-contained rule text (stored verbatim in RuleVersion, so an evaluation
    stays reproducible after the province file changes) with version "<version>+<province>". A rule or
    version the config does not apply to is returned unchanged."""
    if not province:
        return text
    config = province if isinstance(province, dict) else province_configs().get(province)
    if config is None:
        raise RuleFileError([FileProblem("province", f"未知的省份配置：{province}（可用：{'、'.join(province_configs())}）")])
    target = config["applies_to"]
    data = yaml.safe_load(text)
    if data.get("id") != target["rule"] or str(data.get("version")) not in [str(v) for v in target["versions"]]:
        return text
    dims = (data.get("scoring") or {}).get("dimensions") or []
    dim = next((d for d in dims if d.get("id") == target["dimension"]), None)
    if dim is None:
        raise RuleFileError([FileProblem("province", f"规则中没有维度 {target['dimension']}")])
    dim["indicators"] = config["indicators"]
    dim["max"] = sum(float(i["max"]) for i in config["indicators"])
    data["version"] = f"{data['version']}+{config['province']}"
    data["notes"] = (f"{data.get('notes', '')}\n{dim.get('name', target['dimension'])}按{config['name']}配置"
                     f"（library/provinces/{config['province']}.yaml；{config.get('source', '')}"
                     f"［{config.get('mark', '')}］）：{config.get('notes', '')}").strip()
    out = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)
    load_rule(out)  # validate the result (dimension max, brackets, expressions)
    return out


@transaction.atomic
def load_text(text: str, source_path: str = "", user=None) -> LoadResult:
    """Validate and store one rule version. A version that has been evaluated (or is locked) is immutable:
    changing its text needs a new version number, so past decisions stay reproducible."""
    spec = load_rule(text)
    rule, _ = Rule.objects.get_or_create(code=spec.id, defaults={"name": spec.name})
    if rule.name != spec.name:
        rule.name = spec.name
        rule.save(update_fields=["name"])
    fields = {"valid_from": spec.valid_from, "valid_to": spec.valid_to, "text": text, "checksum": spec.checksum,
              "document": str(spec.source.get("document", ""))[:300], "source_path": source_path[:300],
              "loaded_by": user}
    existing = RuleVersion.objects.filter(rule=rule, version=spec.version).first()
    if existing is None:
        return LoadResult(RuleVersion.objects.create(rule=rule, version=spec.version, **fields), "created")
    if existing.checksum == spec.checksum:
        return LoadResult(existing, "unchanged")
    if existing.locked or existing.evaluations.exists():
        raise RuleFileError([FileProblem("version", f"版本 {spec.version} 已锁定或已有评价记录，内容不能修改；"
                                                    "请提升 version 后再载入")])
    for key, value in fields.items():
        setattr(existing, key, value)
    existing.save()
    return LoadResult(existing, "updated")


def load_file(path: Path | str, user=None, province: str | None = None) -> LoadResult:
    """Load one rule file; `province` (default `default_province()`) fills province-set indicators."""
    path = Path(path)
    text = apply_province(path.read_text(encoding="utf-8"), default_province() if province is None else province)
    return load_text(text, str(path.relative_to(LIBRARY.parent) if path.is_relative_to(LIBRARY.parent) else path),
                     user)


def load_library(user=None, province: str | None = None) -> list[LoadResult]:
    return [load_file(path, user, province) for path in library_files()]
