"""Load rule files into the database as versioned rules (the YAML text is kept verbatim)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from .models import Rule, RuleVersion
from .rulefile import FileProblem, RuleFileError, load_rule

LIBRARY = Path(__file__).resolve().parent / "library"


@dataclass
class LoadResult:
    version: RuleVersion
    status: str  # created | updated | unchanged


def library_files() -> list[Path]:
    return sorted(p for p in LIBRARY.rglob("*.yaml") if not p.name.endswith(".cases.yaml"))


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


def load_file(path: Path | str, user=None) -> LoadResult:
    path = Path(path)
    return load_text(path.read_text(encoding="utf-8"), str(path.relative_to(LIBRARY.parent)
                                                         if path.is_relative_to(LIBRARY.parent) else path), user)


def load_library(user=None) -> list[LoadResult]:
    return [load_file(path, user) for path in library_files()]
