"""`industrybrain rules …`: check, load, evaluate, explain and preview rules.

    ib_rules check FILE.yaml [FILE.yaml …]
    ib_rules load [FILE.yaml …]                     (default: every rule in rules/library)
    ib_rules list
    ib_rules evaluate RULE_ID [--as-of DATE] [--enterprise USCC …] [--no-store]
    ib_rules explain RULE_ID --enterprise USCC [--as-of DATE] [--json]
    ib_rules preview FILE.yaml [--as-of DATE] [--level 1|2|3]
"""

from __future__ import annotations

import datetime
import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from industrybrain.registry.models import Enterprise

from ... import evaluate as ev
from ...loader import library_files, load_file
from ...models import Rule
from ...rulefile import RuleFileError, load_rule

RESULT_MARKS = {"pass": "✓", "fail": "✗", "unknown": "?", "manual": "☐"}
RESULT_LABELS = {"pass": "符合", "fail": "不符合", "unknown": "数据不足", "manual": "待人工确认"}


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{text}") from None


def fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return str(value)


class Command(BaseCommand):
    help = "规则引擎：校验、载入、评价、解释与预览"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="校验规则文件，逐条列出错误及位置")
        check.add_argument("files", nargs="+")
        load = sub.add_parser("load", help="载入规则文件（默认载入规则库全部规则）")
        load.add_argument("files", nargs="*")
        sub.add_parser("list", help="列出已载入的规则及版本")
        evaluate = sub.add_parser("evaluate", help="对全部企业评价并保存结果")
        evaluate.add_argument("rule")
        evaluate.add_argument("--as-of", type=_date)
        evaluate.add_argument("--enterprise", action="append", default=[], help="只评价这些企业（统一社会信用代码）")
        evaluate.add_argument("--no-store", action="store_true", help="只统计，不保存结果")
        explain = sub.add_parser("explain", help="解释一家企业的评价结果")
        explain.add_argument("rule")
        explain.add_argument("--enterprise", required=True)
        explain.add_argument("--as-of", type=_date)
        explain.add_argument("--json", action="store_true")
        preview = sub.add_parser("preview", help="预览草稿规则：按区划统计符合的企业数")
        preview.add_argument("file")
        preview.add_argument("--as-of", type=_date)
        preview.add_argument("--level", type=int, default=2, choices=[1, 2, 3])

    def handle(self, *args, **options) -> None:
        getattr(self, f"do_{options['action']}")(options)

    # -- subcommands ---------------------------------------------------------------------------
    def do_check(self, options) -> None:
        failed = 0
        for name in options["files"]:
            path = Path(name)
            if not path.exists():
                raise CommandError(f"文件不存在：{name}")
            try:
                spec = load_rule(path.read_text(encoding="utf-8"))
            except RuleFileError as err:
                failed += 1
                self.stdout.write(f"{name}: {len(err.problems)} 处错误")
                for problem in err.problems:
                    self.stdout.write(f"{name}:{problem.line}:{problem.col}: " + problem.render())
                continue
            self.stdout.write(f"{name}: 通过（{spec.id} v{spec.version}，{len(spec.criteria)} 项条件，"
                              f"{len(spec.indicators)} 项评分指标，使用 {len(spec.features)} 个特征）")
        if failed:
            raise CommandError(f"{failed} 个文件未通过校验")

    def do_load(self, options) -> None:
        files = [Path(f) for f in options["files"]] or library_files()
        for path in files:
            try:
                result = load_file(path)
            except RuleFileError as err:
                raise CommandError(f"{path}:\n{err}") from None
            labels = {"created": "新增", "updated": "更新", "unchanged": "未变"}
            self.stdout.write(f"{labels[result.status]} {result.version.rule.code} v{result.version.version} ← {path}")

    def do_list(self, options) -> None:
        for rule in Rule.objects.prefetch_related("versions"):
            for v in rule.versions.all():
                until = v.valid_to or "—"
                self.stdout.write(f"{rule.code}\tv{v.version}\t{v.valid_from} ~ {until}\t{rule.name}\t{v.document}")

    def _enterprise_ids(self, usccs: list[str]) -> list[int] | None:
        if not usccs:
            return None
        found = dict(Enterprise.objects.filter(uscc__in=usccs).values_list("uscc", "id"))
        missing = [u for u in usccs if u not in found]
        if missing:
            raise CommandError(f"企业不存在：{'、'.join(missing)}")
        return list(found.values())

    def do_evaluate(self, options) -> None:
        as_of = options["as_of"] or timezone.localdate()
        ids = self._enterprise_ids(options["enterprise"])
        try:
            version = ev.version_for(options["rule"], as_of)
        except ev.RuleNotFound as err:
            raise CommandError(str(err)) from None
        started = time.perf_counter()
        if options["no_store"]:
            rows = ev.run(version.spec(), as_of, ids)
            counts = {o: 0 for o in ("pass", "fail", "unknown")}
            for row in rows:
                counts[ev.outcome_of(row["outcome"])] += 1
            total = len(rows)
        else:
            evaluation = ev.evaluate_rule(version, as_of, ids)
            counts = {"pass": evaluation.pass_count, "fail": evaluation.fail_count,
                      "unknown": evaluation.unknown_count}
            total = evaluation.enterprise_count
        seconds = time.perf_counter() - started
        self.stdout.write(f"{version.rule.name} v{version.version}，评价日期 {as_of}，企业 {total} 家")
        self.stdout.write(f"符合 {counts['pass']}  不符合 {counts['fail']}  数据不足 {counts['unknown']}")
        self.stdout.write(f"耗时 {seconds:.2f} 秒（{total / seconds if seconds else 0:,.0f} 家/秒）")

    def do_explain(self, options) -> None:
        as_of = options["as_of"] or timezone.localdate()
        ent = Enterprise.objects.filter(uscc=options["enterprise"]).first()
        if ent is None:
            raise CommandError(f"企业不存在：{options['enterprise']}")
        try:
            version = ev.version_for(options["rule"], as_of)
        except ev.RuleNotFound as err:
            raise CommandError(str(err)) from None
        spec = version.spec()
        rows = ev.run(spec, as_of, [ent.pk])
        data = ev.explain(spec, rows[0])
        data.update(as_of=as_of.isoformat(), enterprise=ent.name, uscc=ent.uscc)
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str))
            return
        self.stdout.write(self.render(data))

    def render(self, data: dict) -> str:
        out = [f"{data['name']} v{data['version']}（{data['source'].get('document', '')} {data['source'].get('article', '')}）",
               f"企业：{data['enterprise']}（{data['uscc']}）  评价日期：{data['as_of']}",
               f"结论：{RESULT_LABELS[data['outcome']]}"]
        if data["dimensions"]:
            score = fmt(data["score"]) if data["score"] is not None else f"{fmt(data['score_lo'])}–{fmt(data['score_hi'])}（部分指标数据不足）"
            out[-1] += f"    得分：{score}（及格 {fmt(data['pass_score'])}）"
        out.append(f"判定：{data['pass']}")
        for kind, title in (("condition", "条件"), ("direct", "直通条件（任一）")):
            items = [c for c in data["criteria"] if c["kind"] == kind]
            if not items:
                continue
            out.append(f"\n{title}")
            for c in items:
                out.append(f"  {RESULT_MARKS[c['result']]} {c['id']} {c['name']}  [{RESULT_LABELS[c['result']]}]")
                if c["result"] != "manual":
                    out.append(f"      条件：{c['threshold']}")
                    out.append("      取值：" + "；".join(self._value(v) for v in c["values"]))
        if data["dimensions"]:
            out.append("\n评分")
            for dim in data["dimensions"]:
                value = fmt(dim["value"]) if dim["value"] is not None else f"{fmt(dim['lo'])}–{fmt(dim['hi'])}"
                minimum = f"，最低 {fmt(dim['min'])}" if dim["min"] is not None else ""
                out.append(f"  {dim['name']} {value} / {fmt(dim['max'])}{minimum}")
                for ind in (i for i in data["indicators"] if i["dimension"] == dim["id"]):
                    out.append(f"    {ind['id']} {ind['name']}：{fmt(ind['points'])} / {fmt(ind['max'])} 分  "
                               + "；".join(self._value(v) for v in ind["values"]))
        return "\n".join(out)

    @staticmethod
    def _value(v: dict) -> str:
        unit = v["unit"] if v["unit"] and v["value"] is not None else ""
        return f"{v['label']}({v['code']}) = {fmt(v['value'])}{unit}"

    def do_preview(self, options) -> None:
        as_of = options["as_of"] or timezone.localdate()
        try:
            spec = load_rule(Path(options["file"]).read_text(encoding="utf-8"))
        except RuleFileError as err:
            raise CommandError(str(err)) from None
        started = time.perf_counter()
        rows = ev.preview_by_level(spec, as_of, options["level"])
        seconds = time.perf_counter() - started
        self.stdout.write(f"{'区划':<12}{'符合':>8}{'不符合':>8}{'数据不足':>8}{'合计':>8}")
        for row in rows:
            self.stdout.write(f"{row['region_code']} {row['region_name']:<8}{row['passed']:>8}{row['failed']:>8}"
                              f"{row['unknown']:>8}{row['total']:>8}")
        self.stdout.write(f"耗时 {seconds:.2f} 秒")

