"""Build the demo province once and reuse it: the logic behind `industrybrain demo`."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.utils import timezone

from industrybrain.registry.models import Enterprise

from . import generator, users
from .models import DemoBuild


@dataclass(frozen=True)
class DemoContext:
    """What a module's demo extension receives: build with the same seed, over the generated registry."""

    enterprises: int
    seed: int
    first_year: int = generator.FIRST_YEAR
    last_year: int = generator.LAST_YEAR


def extensions() -> list[tuple[str, Callable[[DemoContext], object]]]:
    """Each installed app may ship `<app>/demo_data.py` with `build(context)`; they run after the registry.

    The module may also define `clear()`, which runs before the registry is wiped, so that the module's
    rows that protect enterprises (projects, applications…) go first.
    """
    return [(label, module.build) for label, module in extension_modules() if callable(getattr(module, "build", None))]


def clear_extensions() -> None:
    for _label, module in reversed(extension_modules()):
        clear = getattr(module, "clear", None)
        if callable(clear):
            clear()


def extension_modules() -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("industrybrain.") or config.label == "demo":
            continue
        try:
            module = importlib.import_module(f"{config.name}.demo_data")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.demo_data":
                raise
            continue
        found.append((config.label, module))
    return found


@dataclass
class Outcome:
    action: str          # "built", "reused", "kept" (different size requested), "refused"
    build: DemoBuild | None
    message: str


def latest_build() -> DemoBuild | None:
    return DemoBuild.objects.filter(finished_at__isnull=False).order_by("-started_at").first()


def build_or_reuse(enterprises: int, seed: int, rebuild: bool = False,
                   progress: generator.ProgressFn | None = None,
                   on_stage: Callable[[str], None] | None = None) -> Outcome:
    """Reuse a finished build; otherwise (or with `rebuild`) wipe any partial one and generate.

    A finished build of another size or seed is kept unless `rebuild` is given. A registry that holds
    enterprises the demo did not build is never wiped without `rebuild`.
    """
    done = latest_build()
    partial = DemoBuild.objects.filter(finished_at__isnull=True).exists()
    if done and not rebuild and not partial:
        users.ensure_demo_users()
        if (done.enterprises, done.seed) == (enterprises, seed):
            return Outcome("reused", done, f"沿用已生成的演示省份：{done.enterprises}家企业（种子{done.seed}）。")
        return Outcome("kept", done, f"已有演示省份：{done.enterprises}家企业（种子{done.seed}），与本次参数不同；"
                                     "如需按新参数重建，请加 --rebuild。")
    if not done and not partial and not rebuild and Enterprise.objects.exists():
        return Outcome("refused", None, "企业库中已有非演示数据，未生成演示省份；确需清空重建请加 --rebuild。")
    if done or partial or rebuild:
        if on_stage:
            on_stage("清除旧的演示数据…")
        clear_extensions()
        generator.wipe()
        DemoBuild.objects.all().delete()
    started = time.monotonic()
    record = DemoBuild.objects.create(enterprises=enterprises, seed=seed, first_year=generator.FIRST_YEAR,
                                      last_year=generator.LAST_YEAR,
                                      generator_version=generator.GENERATOR_VERSION, started_at=timezone.now())
    stewards = users.ensure_stewards()
    stats = generator.generate(enterprises, seed, progress=progress, stewards=stewards)
    users.ensure_demo_users()
    context = DemoContext(enterprises, seed)
    for label, build in extensions():
        if on_stage:
            on_stage(f"生成模块演示数据：{label}…")
        build(context)
    record.finished_at = timezone.now()
    record.seconds = round(time.monotonic() - started, 1)
    record.counts = stats.as_dict()
    record.save()
    return Outcome("built", record, f"已生成演示省份：{enterprises}家企业，用时{record.seconds}秒。")
