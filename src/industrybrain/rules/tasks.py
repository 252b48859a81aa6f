"""Scheduled upkeep of the rules engine, run by `industrybrain worker` (core/management/commands/ib_worker.py)."""

from __future__ import annotations


def periodic() -> str | None:
    """Rows of evaluations whose process was killed mid-store are swept, and kept feature snapshots that no
    evaluation refers to any more (their evaluations were deleted) are dropped."""
    from . import snapshot
    from .evaluate import sweep_orphan_results

    swept = sweep_orphan_results()
    released = snapshot.release_unreferenced()
    parts = ([f"清理未完成评价遗留结果 {swept} 行"] if swept else []) + ([f"释放特征快照 {released} 个"] if released else [])
    return "规则引擎：" + "，".join(parts) if parts else None
