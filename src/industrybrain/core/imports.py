"""The imports engine: one declarative pattern for every bulk import (Excel .xlsx and CSV).

An app declares an `Importer` in its `importers.py` (found by autodiscovery, like admin.py) with a tuple of
`ImportColumn`s — Chinese header, required flag, a parser that turns the cell text into a value or raises
`CellError` with a Chinese reason — plus three hooks: `prepare()` (bulk look-ups for all rows at once),
`check()` (per-row checks that need the database or other rows) and `apply()` (bulk writes).

Life of an import (`ImportJob`):

1. **Dry run** (`dry_run_job`, run when the file is uploaded): read the file, check every row and collect
   *every* error as ``{"row", "column", "reason"}``. ``row`` is the spreadsheet row as the user sees it
   (the header is row 1; blank rows keep their numbers but are skipped). Nothing but the job is written.
2. **Apply** (`apply_job`, run by the background task `core.tasks.run_import_job` or by the CLI): the file
   is read and checked *again* (the registry may have changed since the dry run), then written inside a
   single ``transaction.atomic()``: all rows or none.

Progress. Progress is reported while rows are checked (step 2 re-checks every row), each update a small
autocommitted ``UPDATE`` of ``ImportJob.processed_rows``. The writes themselves then run in one
transaction without progress updates: a row written to ``ImportJob`` from inside that transaction would not
be visible to the page before the commit, and on SQLite a second connection cannot write while the import
holds the write lock. So the bar fills while checking; "正在写入" is then shown until the commit. This is
the same on SQLite and PostgreSQL.

Audit. Every created or changed object gets a django-auditlog ``LogEntry`` (written with ``bulk_create``;
``changes`` in auditlog's own ``{field: [old, new]}`` string format; actor = the job's user;
``additional_data`` carries ``import_job`` and, for facts, ``enterprise_id``), plus one summary entry on the
``ImportJob`` itself.

After apply. Once an import has committed, the signal ``import_applied(sender=<Importer class>, job,
enterprise_ids)`` is sent (robustly: a failing receiver is logged, the import stands). ``enterprise_ids`` are
the enterprises the import touched, collected by the audit writer (an audited Enterprise, an audited object
with an ``enterprise_id``, or ``additional_data["enterprise_id"]``). Apps use it to queue follow-up work
(e.g. the policies app rematches those enterprises in one background job).

Access. The importer is built for the job's user: officers may only touch enterprises in their region
subtree; rows outside it are error rows, never applied.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.dispatch import Signal
from django.utils import timezone, translation

from .jobs import claim
from .models import ImportJob, User

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_ERRORS_IN_MESSAGE = 5
logger = logging.getLogger(__name__)

# Sent after an import job's writes have committed: sender = the Importer class, job = the ImportJob,
# enterprise_ids = frozenset of the enterprises it touched (may be empty).
import_applied = Signal()
PROGRESS_EVERY = 2000
EXCEL_EPOCH = dt.date(1899, 12, 30)


class CellError(ValueError):
    """Raised by a column parser; the message is the Chinese reason shown to the user."""


class ImportFileError(ValueError):
    """The file as a whole is refused (type, encoding, header); the message is Chinese."""


# --------------------------------------------------------------------------------------------- parsers


def text(max_length: int) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if len(value) > max_length:
            raise CellError(f"长度不能超过{max_length}个字符（实际{len(value)}个）")
        return value

    return parse


_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


def _number(value: str) -> Decimal:
    value = value.replace("，", ",").replace(" ", "")
    if _THOUSANDS.match(value):
        value = value.replace(",", "")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise CellError(f"“{value}”不是有效数字") from None
    if not number.is_finite():
        raise CellError(f"“{value}”不是有效数字")
    return number


def decimal_number(places: int = 2, max_digits: int = 16, allow_negative: bool = False) -> Callable[[str], Decimal]:
    limit = Decimal(10) ** (max_digits - places)
    quantum = Decimal(1).scaleb(-places)

    def parse(value: str) -> Decimal:
        number = _number(value)
        if number < 0 and not allow_negative:
            raise CellError("不能为负数")
        if number != number.quantize(quantum, rounding="ROUND_DOWN"):
            raise CellError(f"最多保留{places}位小数")
        if abs(number) >= limit:
            raise CellError("数值过大")
        return number.quantize(quantum)

    return parse


def integer(min_value: int | None = 0, max_value: int | None = 2_147_483_647) -> Callable[[str], int]:
    def parse(value: str) -> int:
        number = _number(value)
        if number != number.to_integral_value():
            raise CellError("应为整数")
        result = int(number)
        if min_value is not None and result < min_value:
            raise CellError("不能为负数" if min_value == 0 else f"不能小于{min_value}")
        if max_value is not None and result > max_value:
            raise CellError(f"不能大于{max_value}")
        return result

    return parse


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def date_value(value: str) -> dt.date:
    """YYYY-MM-DD (also / . 年月日 and YYYYMMDD) or an Excel date (a date cell or its serial number)."""
    for pattern in _DATE_PATTERNS:
        match = pattern.match(value)
        if match:
            try:
                day = dt.date(*(int(g) for g in match.groups()))
            except ValueError:
                raise CellError(f"“{value}”不是有效日期") from None
            break
    else:
        if re.fullmatch(r"\d{4,5}(\.0+)?", value):  # an Excel serial day number (1910–2173)
            day = EXCEL_EPOCH + dt.timedelta(days=int(float(value)))
        else:
            raise CellError(f"“{value}”不是有效日期，应为YYYY-MM-DD格式，如2020-05-18")
    if day > timezone.localdate():
        raise CellError("日期不能晚于今天")
    if day.year < 1900:
        raise CellError("日期过早")
    return day


def choice(options: Iterable[tuple[str, StrOrPromise]]) -> Callable[[str], str]:
    """Parse a Chinese label (or the stored value) of a TextChoices field."""
    with translation.override(settings.LANGUAGE_CODE):  # labels in the file are Chinese
        pairs = [(str(value), str(label)) for value, label in options]
    by_text = {label: value for value, label in pairs} | {value: value for value, _ in pairs}
    allowed = "、".join(label for _, label in pairs)

    def parse(value: str) -> str:
        try:
            return by_text[value]
        except KeyError:
            raise CellError(f"“{value}”不是可选值，应为：{allowed}") from None

    return parse


def split_list(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,，、;；]", value) if part.strip()]


# ------------------------------------------------------------------------------------------- the spec


@dataclass(frozen=True)
class ImportColumn:
    key: str
    header: str
    parse: Callable[[str], Any] = text(200)
    required: bool = False  # every row needs a value (and the file needs the column)
    help: str = ""
    example: str = ""
    optional_column: bool = True  # a non-required column may be left out of the file altogether
    width: int = 16


@dataclass
class Row:
    """One data row: the spreadsheet row number and the parsed values of its non-empty, valid cells."""

    number: int
    values: dict[str, Any]
    failed: set[str] = field(default_factory=set)
    exists: bool = False  # set by an importer's check(): the row updates an existing record
    ref: Any = None  # importer-specific (e.g. the id of the enterprise the row belongs to)


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (row number, cells) — blank rows left out


@dataclass
class ApplyResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class CheckResult:
    total_rows: int
    rows: list[Row]
    errors: list[dict]
    ignored_columns: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors


ProgressCallback = Callable[[int, int], None]


def normalize_header(value: str) -> str:
    value = re.sub(r"\s+", "", value or "").lstrip("*＊")
    return value.replace("(", "（").replace(")", "）")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


# -------------------------------------------------------------------------------------------- reading


def _decode_csv(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")  # a superset of GBK and GB2312: what Chinese Excel saves as "CSV"
    except UnicodeDecodeError:
        raise ImportFileError("无法识别CSV文件的编码，请另存为“CSV UTF-8（逗号分隔）”格式后重试") from None


def _read_csv(data: bytes) -> list[tuple[int, list[str]]]:
    content = _decode_csv(data).lstrip("\ufeff")
    first_line = content.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    try:
        return [(number, [_cell(c) for c in cells]) for number, cells in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise ImportFileError(f"CSV文件格式错误（第{reader.line_num}行）：{exc}") from None


def _read_xlsx(data: bytes) -> list[tuple[int, list[str]]]:
    import polars as pl

    if not data.startswith(b"PK"):
        raise ImportFileError("文件不是有效的Excel（.xlsx）文件，请用Excel另存为.xlsx后重试")
    try:
        # skip_rows=0 keeps leading blank rows so that row numbers match what Excel shows;
        # every column is read as text (infer_schema_length=0) and converted by the column parsers.
        frame = pl.read_excel(io.BytesIO(data), engine="calamine", sheet_id=1, has_header=False,
                              infer_schema_length=0, drop_empty_rows=False, drop_empty_cols=False,
                              raise_if_empty=False, read_options={"skip_rows": 0})
    except Exception as exc:  # fastexcel raises its own error types for damaged or encrypted files
        raise ImportFileError(f"无法读取Excel文件：{exc.__class__.__name__}，请确认文件未加密且未损坏") from None
    return [(number, [_cell(c) for c in cells]) for number, cells in enumerate(frame.iter_rows(), start=1)]


def read_table(data: bytes, filename: str) -> Table:
    """Read the first sheet of an .xlsx or a .csv file into text cells; the header must be row 1."""
    suffix = PurePath(filename).suffix.lower()
    if not data:
        raise ImportFileError("文件为空")
    if suffix == ".xlsx":
        raw = _read_xlsx(data)
    elif suffix == ".csv":
        raw = _read_csv(data)
    elif suffix in (".xls", ".et", ".wps"):
        raise ImportFileError(f"不支持{suffix}格式，请用Excel另存为.xlsx（Excel工作簿）后重试")
    else:
        raise ImportFileError(f"不支持的文件类型“{suffix or filename}”，请上传.xlsx或.csv文件")
    if not raw or not any(raw[0][1]):
        raise ImportFileError("第1行应为表头（列名），但第1行为空；请使用下载的模板")
    headers = [normalize_header(h) for h in raw[0][1]]
    rows = [(number, cells) for number, cells in raw[1:] if any(cells)]
    return Table(headers=headers, rows=rows)


# ------------------------------------------------------------------------------------------ importers


class Importer:
    """Base class: subclasses set `kind`, `label`, `columns` and implement the hooks."""

    kind: ClassVar[str]
    label: ClassVar[str]
    description: ClassVar[str] = ""
    columns: ClassVar[tuple[ImportColumn, ...]]

    def __init__(self, user: User):
        from .access import visible_regions

        self.user = user
        # None: no region restriction (administrators); otherwise the codes of the user's subtree.
        self.region_codes: set[str] | None = (
            None if user.is_administrator else set(visible_regions(user).values_list("code", flat=True)))

    def in_scope(self, region_code: str | None) -> bool:
        return self.region_codes is None or region_code in self.region_codes

    def header_of(self, key: str) -> str:
        return next(c.header for c in self.columns if c.key == key)

    # hooks
    def prepare(self, rows: list[Row]) -> None:
        """Bulk look-ups before `check` (one query per chunk, never one per row)."""

    def check(self, row: Row) -> Iterable[tuple[str, str]]:
        """(column key, reason) pairs for a row; keys whose cells failed to parse are absent from values."""
        return ()

    def apply(self, rows: list[Row], ctx: ApplyContext) -> ApplyResult:
        raise NotImplementedError


_REGISTRY: dict[str, type[Importer]] = {}
_discovered = False


def register(importer: type[Importer]) -> type[Importer]:
    _REGISTRY[importer.kind] = importer
    return importer


def importers() -> dict[str, type[Importer]]:
    global _discovered
    if not _discovered:
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("importers")
        _discovered = True
    return dict(_REGISTRY)


def get_importer(kind: str) -> type[Importer]:
    try:
        return importers()[kind]
    except KeyError:
        raise ImportFileError(f"未知的导入类型“{kind}”") from None


def kind_label(kind: str) -> str:
    importer = importers().get(kind)
    return importer.label if importer else kind


# -------------------------------------------------------------------------------------------- checking


def check_table(importer: Importer, table: Table, progress: ProgressCallback | None = None) -> CheckResult:
    by_header = {normalize_header(c.header): c for c in importer.columns}
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, header in enumerate(table.headers):
        column = by_header.get(header)
        if column is None:
            if header:
                ignored.append(header)
            continue
        if column.key in positions:
            raise ImportFileError(f"列“{column.header}”出现了不止一次")
        positions[column.key] = index
    missing = [c.header for c in importer.columns
               if c.key not in positions and (c.required or not c.optional_column)]
    if missing:
        raise ImportFileError(f"缺少必需的列：{'、'.join(missing)}（请使用下载的模板，表头须在第1行）")
    if not table.rows:
        raise ImportFileError("文件中没有数据行")

    total = len(table.rows)
    present = [c for c in importer.columns if c.key in positions]
    errors: list[dict] = []
    rows: list[Row] = []
    for done, (number, cells) in enumerate(table.rows, start=1):
        row = Row(number=number, values={})
        for column in present:
            index = positions[column.key]
            raw = cells[index] if index < len(cells) else ""
            if not raw:
                if column.required:
                    errors.append({"row": number, "column": column.header, "reason": "必填项为空"})
                    row.failed.add(column.key)
                continue
            try:
                row.values[column.key] = column.parse(raw)
            except CellError as exc:
                errors.append({"row": number, "column": column.header, "reason": str(exc)})
                row.failed.add(column.key)
        rows.append(row)
        if progress and done % PROGRESS_EVERY == 0:
            progress(done // 2, total)
    importer.prepare(rows)
    for done, row in enumerate(rows, start=1):
        for key, reason in importer.check(row):
            errors.append({"row": row.number, "column": importer.header_of(key), "reason": reason})
        if progress and done % PROGRESS_EVERY == 0:
            progress(total // 2 + done // 2, total)
    if progress:
        progress(total, total)
    order = {c.header: i for i, c in enumerate(importer.columns)}
    errors.sort(key=lambda e: (e["row"], order.get(e["column"], 99)))
    failed_rows = {e["row"] for e in errors}
    return CheckResult(total_rows=total, rows=[r for r in rows if r.number not in failed_rows],
                       errors=errors, ignored_columns=ignored)


def read_job_file(job: ImportJob) -> bytes:
    with job.file.open("rb") as handle:
        return handle.read()


def _job_progress(job: ImportJob, extra: ProgressCallback | None) -> ProgressCallback:
    def report(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=done, total_rows=total)
        job.processed_rows, job.total_rows = done, total
        if extra:
            extra(done, total)

    return report


def _refused(job: ImportJob, message: str, errors: list[dict] | None = None, total: int | None = None) -> None:
    job.status = ImportJob.Status.REJECTED
    job.errors = errors or []
    job.error_count = len({e["row"] for e in job.errors})
    job.message = message
    if total is not None:
        job.total_rows = total
    job.save(update_fields=["status", "errors", "error_count", "message", "total_rows"])


def _error_summary(errors: list[dict]) -> str:
    bad_rows = len({e["row"] for e in errors})
    return f"校验未通过：{bad_rows}行有错误，共{len(errors)}处，未写入任何数据。"


@translation.override(settings.LANGUAGE_CODE)  # the file format and stored records are Chinese
def dry_run_job(job: ImportJob, progress: ProgressCallback | None = None) -> CheckResult | None:
    """Check the job's file and record the report on the job; writes nothing else."""
    importer = get_importer(job.kind)(job.created_by)
    try:
        result = check_table(importer, read_table(read_job_file(job), job.original_name),
                             _job_progress(job, progress))
    except ImportFileError as exc:
        _refused(job, f"文件被拒绝：{exc}")
        return None
    if not result.ok:
        _refused(job, _error_summary(result.errors), result.errors, result.total_rows)
        return result
    new = sum(1 for r in result.rows if not r.exists)
    message = f"校验通过：共{result.total_rows}行，将新增{new}条、更新{result.total_rows - new}条（无变化的行不写入）。"
    if result.ignored_columns:
        message += f"以下列不属于模板，将被忽略：{'、'.join(result.ignored_columns)}。"
    job.status = ImportJob.Status.CHECKED
    job.total_rows = job.processed_rows = result.total_rows
    job.errors, job.error_count, job.message = [], 0, message
    job.save(update_fields=["status", "total_rows", "processed_rows", "errors", "error_count", "message"])
    return result


def claim_job(job_id: int) -> bool:
    """Move a queued job to running; False when someone else already did (a task run twice)."""
    return claim(ImportJob, job_id, processed_rows=0, started_at=timezone.now())


STALE_AFTER = dt.timedelta(hours=6)


def recover_stale_jobs(now: dt.datetime | None = None, stale_after: dt.timedelta = STALE_AFTER) -> int:
    """Jobs left "running" by a worker that died: back to "checked" so they can be applied again.

    The apply is one transaction, so a worker that died wrote nothing; the job only needs its status back.
    A job is stale when it started longer ago than any import takes (hours, against minutes for 1,000,000
    rows). Run when the worker starts (`industrybrain worker`, `industrybrain serve`).
    """
    now = now or timezone.now()
    return ImportJob.objects.filter(status=ImportJob.Status.RUNNING, started_at__lt=now - stale_after).update(
        status=ImportJob.Status.CHECKED, processed_rows=0,
        message="上次导入在写入过程中中断（后台进程退出），未写入任何数据；可重新确认导入。")


def _tune_sqlite() -> None:
    """A big import transaction outgrows SQLite's default 2 MB page cache (index pages then thrash and
    dirty pages spill to the WAL mid-transaction); give this connection a larger cache. PostgreSQL: no-op."""
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")  # KiB: 256 MB, for this connection only


@translation.override(settings.LANGUAGE_CODE)  # the file format and stored records are Chinese
def apply_job(job: ImportJob, progress: ProgressCallback | None = None) -> ImportJob:
    """Re-check and write a claimed (running) job, all or nothing; the job records the outcome."""
    if job.status != ImportJob.Status.RUNNING:
        raise ValueError(f"import job {job.pk} is {job.status}, not running")
    try:
        importer = get_importer(job.kind)(job.created_by)
        try:
            result = check_table(importer, read_table(read_job_file(job), job.original_name),
                                 _job_progress(job, progress))
        except ImportFileError as exc:
            _refused(job, f"文件被拒绝：{exc}")
            return job
        if not result.ok:
            _refused(job, "导入前复核发现数据已变化：" + _error_summary(result.errors), result.errors,
                     result.total_rows)
            return job
        _tune_sqlite()
        with transaction.atomic():
            ctx = ApplyContext(job)
            outcome = importer.apply(result.rows, ctx)
            job.status = ImportJob.Status.DONE
            job.created_count, job.updated_count = outcome.created, outcome.updated
            job.processed_rows = job.total_rows = result.total_rows
            job.finished_at = timezone.now()
            job.message = (f"导入完成：新增{outcome.created}条，更新{outcome.updated}条，"
                           f"无变化{outcome.unchanged}条。")
            job.save(update_fields=["status", "created_count", "updated_count", "processed_rows", "total_rows",
                                    "finished_at", "message"])
            ctx.audit.summary(job)
            ctx.audit.flush()
            touched = frozenset(ctx.audit.enterprise_ids)
            transaction.on_commit(lambda: _send_applied(type(importer), job, touched))
    except Exception as exc:
        job.status = ImportJob.Status.FAILED
        job.finished_at = timezone.now()
        job.created_count = job.updated_count = 0
        job.message = f"导入失败，已全部回滚，未写入任何数据：{exc.__class__.__name__}: {exc}"[:2000]
        job.save(update_fields=["status", "finished_at", "created_count", "updated_count", "message"])
    return job


def _send_applied(sender: type[Importer], job: ImportJob, enterprise_ids: frozenset[int]) -> None:
    for receiver, result in import_applied.send_robust(sender=sender, job=job, enterprise_ids=enterprise_ids):
        if isinstance(result, Exception):
            logger.error("import_applied receiver %r failed for import job %s", receiver, job.pk, exc_info=result)


# --------------------------------------------------------------------------------------------- writing


def _audit_str(value: Any) -> str:
    return "None" if value is None else str(value)


class AuditWriter:
    """Collects auditlog LogEntry rows and writes them with bulk_create."""

    def __init__(self, job: ImportJob, batch_size: int = 5000):
        from auditlog.models import LogEntry

        self.model = LogEntry
        self.job = job
        self.actor = job.created_by
        self.batch_size = batch_size
        self.pending: list[Any] = []
        self.timestamp = timezone.now()
        self._content_types: dict[type[models.Model], ContentType] = {}
        self.count = 0
        self.enterprise_ids: set[int] = set()  # the enterprises the import touched (see import_applied)

    def _ct(self, model: type[models.Model]) -> ContentType:
        if model not in self._content_types:
            self._content_types[model] = ContentType.objects.get_for_model(model)
        return self._content_types[model]

    def log(self, obj: models.Model, action: int, changes: dict, additional: dict | None = None) -> None:
        data = {"import_job": self.job.pk} | (additional or {})
        touched = data.get("enterprise_id") or getattr(obj, "enterprise_id", None)
        if touched is None and obj._meta.label_lower == "registry.enterprise":
            touched = obj.pk
        if isinstance(touched, int):
            self.enterprise_ids.add(touched)
        self.pending.append(self.model(
            content_type=self._ct(type(obj)), object_pk=str(obj.pk), object_id=obj.pk, object_repr=str(obj),
            action=action, changes=changes, actor=self.actor, actor_email=self.actor.email or None,
            timestamp=self.timestamp, additional_data=data))
        if len(self.pending) >= self.batch_size:
            self.flush()

    def created(self, obj: models.Model, values: dict[str, Any], additional: dict | None = None) -> None:
        changes = {name: ["None", _audit_str(value)] for name, value in values.items() if value not in (None, "")}
        self.log(obj, self.model.Action.CREATE, changes, additional)

    def updated(self, obj: models.Model, changes: dict[str, tuple[Any, Any]], additional: dict | None = None) -> None:
        self.log(obj, self.model.Action.UPDATE,
                 {name: [_audit_str(old), _audit_str(new)] for name, (old, new) in changes.items()}, additional)

    def summary(self, job: ImportJob) -> None:
        self.log(job, self.model.Action.UPDATE,
                 {"status": ["running", "done"], "created_count": ["0", str(job.created_count)],
                  "updated_count": ["0", str(job.updated_count)]},
                 {"kind": job.kind, "file": job.original_name, "log_entries": self.count + len(self.pending)})

    def flush(self) -> None:
        if self.pending:
            self.model.objects.bulk_create(self.pending, batch_size=1000)
            self.count += len(self.pending)
            self.pending = []


class ApplyContext:
    """What an importer's apply() needs: the job, its user, one timestamp and source label, the audit writer."""

    def __init__(self, job: ImportJob):
        self.job = job
        self.user = job.created_by
        self.now = timezone.now()
        self.source = f"导入：{job.original_name}"[:100]
        self.audit = AuditWriter(job)


def chunks(items: Sequence[Any], size: int = 900) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# ---------------------------------------------------------------------------------- templates, reports


@translation.override(settings.LANGUAGE_CODE)  # the file format and stored records are Chinese
def template_xlsx(importer: type[Importer]) -> bytes:
    """A blank template: the header row (required columns marked red) and a sheet "填写说明"."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(importer.label[:31])
    as_text = workbook.add_format({"num_format": "@"})
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    required = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "font_color": "#C00000"})
    for index, column in enumerate(importer.columns):
        sheet.set_column(index, index, max(column.width, len(column.header) * 2 + 2), as_text)
        sheet.write_string(0, index, column.header, required if column.required else header)
        if column.help:
            sheet.write_comment(0, index, ("【必填】" if column.required else "") + column.help)
    sheet.freeze_panes(1, 0)
    notes = workbook.add_worksheet("填写说明")
    notes.set_column(0, 0, 28)
    notes.set_column(1, 1, 10)
    notes.set_column(2, 2, 70)
    notes.set_column(3, 3, 24)
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    for index, title in enumerate(("列名", "是否必填", "填写说明", "示例")):
        notes.write_string(0, index, title, header)
    for row, column in enumerate(importer.columns, start=1):
        notes.write_string(row, 0, column.header, wrap)
        notes.write_string(row, 1, "必填" if column.required else "选填", wrap)
        notes.write_string(row, 2, column.help, wrap)
        notes.write_string(row, 3, column.example, wrap)
    tail = len(importer.columns) + 2
    general = [
        "表头须位于第1行且不要修改列名；列的顺序可以调整，多余的列会被忽略。",
        "选填列留空表示“不修改”：已有记录的该项保持原值。",
        "上传后系统先做校验（试运行），列出每一个错误的行号、列名和原因；全部通过后才能确认导入。",
        "确认导入在后台执行，全部成功或全部不导入（不会只导入一部分）。",
        "也可上传CSV文件（UTF-8或GBK编码，逗号分隔），列名与本模板相同。",
    ]
    if importer.description:
        general.insert(0, importer.description)
    for offset, line in enumerate(general):
        notes.write_string(tail + offset, 0, line)
    workbook.close()
    return buffer.getvalue()


def error_columns() -> list[Any]:
    from .exports import Column

    return [Column("行号", lambda e: e["row"], 8), Column("列", lambda e: e["column"], 24),
            Column("错误原因", lambda e: e["reason"], 70)]
