"""一指减负: tax and fee reductions imported on the shared import engine (template, dry run with Chinese row
errors, atomic apply), merged with the ledger in the enterprise's list with yearly totals, province totals."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from industrybrain.core import imports
from industrybrain.core.models import ImportJob, Role
from industrybrain.policies import services
from industrybrain.policies.importers import TaxReductionImporter
from industrybrain.policies.models import Disbursement, MatchJob, TaxReduction
from tests import factories
from tests.policies.conftest import make_policy
from tests.registry.test_importers import applied_job, checked_job, errors_of

HEADER = ["统一社会信用代码", "企业名称", "所属年度", "税费种类", "减免项目", "减免金额（万元）", "减免日期", "政策依据",
          "数据提供部门"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _row(ent, year=2023, kind="增值税", item="小规模纳税人减免增值税", amount="12.5", day="2023-12-31", name=None):
    return [ent.uscc, ent.name if name is None else name, year, kind, item, amount, day, "财税公告2023年第19号",
            "西湖区税务局"]


def test_template_lists_the_columns_with_help():
    book = openpyxl.load_workbook(io.BytesIO(imports.template_xlsx(TaxReductionImporter)))
    headers = [c.value for c in book.worksheets[0][1]]
    assert headers[:6] == HEADER[:6]


def test_dry_run_reports_every_row_error_in_chinese_and_writes_nothing(roles, xihu_enterprise, other_enterprises):
    outside = other_enterprises[0]  # 宁波: outside the county officer's region
    rows = [HEADER,
            _row(xihu_enterprise),
            _row(xihu_enterprise),                                    # duplicate of row 2
            _row(xihu_enterprise, kind="消费税", item="x"),            # not a kind
            _row(xihu_enterprise, amount="0", item="零"),              # not positive
            _row(xihu_enterprise, name="别的公司", item="名称不符"),
            _row(xihu_enterprise, year=2023, day="2022-05-01", item="日期早于年度"),
            _row(outside, item="越权")]
    job = checked_job(roles["county"], "tax_reductions", rows)
    assert job.status != ImportJob.Status.CHECKED
    errors = errors_of(job)
    assert (3, "减免项目", "与第2行重复（同一企业、年度、税费种类和减免项目）") in errors
    assert any(r == 4 and c == "税费种类" and "不是可选值" in reason for r, c, reason in errors)
    assert (5, "减免金额（万元）", "减免金额应大于0") in errors
    assert (6, "企业名称", f"企业名称与企业库不一致（企业库为“{xihu_enterprise.name}”）") in errors
    assert (7, "减免日期", "减免日期早于所属年度") in errors
    assert (8, "统一社会信用代码", "无权导入该地区企业") in errors
    assert TaxReduction.objects.count() == 0


def test_apply_creates_then_updates_audited_and_triggers_no_rematch(roles, xihu_enterprise,
                                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = applied_job(roles["county"], "tax_reductions",
                          [HEADER, _row(xihu_enterprise), _row(xihu_enterprise, 2024, "企业所得税", "小型微利企业减免", "8",
                                                               "2024-06-30")])
    assert job.status == ImportJob.Status.DONE and job.created_count == 2
    assert TaxReduction.objects.get(year=2023).amount == Decimal("12.50")
    assert MatchJob.objects.count() == 0  # no policy condition reads tax reductions
    job = applied_job(roles["county"], "tax_reductions", [HEADER, _row(xihu_enterprise, amount="13")])
    assert (job.created_count, job.updated_count) == (0, 1)
    assert TaxReduction.objects.get(year=2023).amount == Decimal("13.00")
    from auditlog.models import LogEntry

    assert LogEntry.objects.filter(additional_data__import_job=job.pk, object_repr__contains="小规模").exists()


def _paid(enterprise, amount="30", paid_on=dt.date(2024, 10, 14)):
    """A ledger row as the payment service writes it (paths through the workflow are tested elsewhere)."""
    from industrybrain.policies.models import Case, CaseState

    policy = make_policy(title="研发投入奖补")
    case = Case.objects.create(policy=policy, enterprise=enterprise, mode=policy.mode, state=CaseState.PAID,
                               department_id=policy.department_id, amount_approved=Decimal(amount))
    return Disbursement.objects.create(case=case, policy=policy, enterprise=enterprise, amount=Decimal(amount),
                                       paid_on=paid_on, idempotency_key=f"k{case.pk}",
                                       recorded_by=factories.user(f"cashier{case.pk}", Role.PROVINCE_OFFICER, "330000"))


def test_enterprise_list_merges_ledger_and_tax_reductions_with_yearly_totals(roles, xihu_enterprise, client):
    _paid(xihu_enterprise, "30", dt.date(2024, 10, 14))
    applied_job(roles["county"], "tax_reductions",
                [HEADER, _row(xihu_enterprise), _row(xihu_enterprise, 2024, "企业所得税", "小型微利企业减免", "8", "")])
    data = services.reduction_list(Disbursement.objects.all(), TaxReduction.objects.all())
    assert data["years"] == [(2024, Decimal("38.00")), (2023, Decimal("12.50"))]
    assert data["total"] == Decimal("50.50")
    assert dict(data["kinds"]) == {"奖补类": Decimal("30.00"), "企业所得税": Decimal("8.00"), "增值税": Decimal("12.50")}
    client.force_login(roles["enterprise"])
    page = client.get("/policies/reductions/").content.decode()
    assert "小规模纳税人减免增值税" in page and "研发投入奖补" in page and "50.50" in page and "2024年" in page
    export = client.get("/policies/reductions/?export=1")
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_another_enterprise_never_sees_them_and_officers_see_region_totals(roles, xihu_enterprise, other_enterprises,
                                                                          client):
    applied_job(roles["admin"], "tax_reductions", [HEADER, _row(xihu_enterprise, amount="12000"),
                                                    _row(other_enterprises[0], amount="3000")])
    stranger = factories.user("stranger", Role.ENTERPRISE_USER, enterprise=other_enterprises[0])
    client.force_login(stranger)
    page = client.get("/policies/reductions/").content.decode()
    assert "3,000.00" in page and "12,000.00" not in page
    totals = services.reduction_totals(Disbursement.objects.all(), TaxReduction.objects.all())
    assert totals["total"] == Decimal("15000.00") and totals["total_yi"] == Decimal("1.50")
    assert totals["enterprises"] == 2 and totals["years"][0]["taxes"] == Decimal("15000.00")
    client.force_login(roles["county"])  # 西湖区: only its own enterprise counts
    page = client.get("/policies/reductions/").content.decode()
    assert 'data-testid="reduction-totals"' in page and "1.20" in page and "1 户" in page
    assert client.get(f"/policies/reductions/?enterprise={other_enterprises[0].pk}").status_code == 404
