"""`industrybrain import …` and `industrybrain export …`: printed errors, exit codes, file content."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from industrybrain import cli
from industrybrain.core.models import ImportJob, Role
from industrybrain.registry.models import Enterprise, Tag, YearlyFact
from tests import factories
from tests.registry.test_importers import (
    ENTERPRISE_HEADER,
    YEARLY_HEADER,
    csv_bytes,
    enterprise_row,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def admin(db):
    return factories.user("admin", Role.ADMINISTRATOR)


def run(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command(*args, stdout=out)
    except CommandError as exc:
        out.write(f"\n{exc}")
        return exc.returncode, out.getvalue()
    return 0, out.getvalue()


def write(tmp_path, name: str, rows: list[list]) -> str:
    path = tmp_path / name
    path.write_bytes(xlsx_bytes(rows) if name.endswith(".xlsx") else csv_bytes(rows))
    return str(path)


def test_dry_run_writes_nothing_then_import_writes(admin, tmp_path):
    code = factories.uscc_for("330106")
    path = write(tmp_path, "ent.csv", [ENTERPRISE_HEADER, enterprise_row(code)])
    status, output = run("ib_import", "enterprises", path, "--dry-run")
    assert status == 0 and "试运行通过" in output
    assert not Enterprise.objects.filter(uscc=code).exists()
    status, output = run("ib_import", "enterprises", path)
    assert status == 0 and "新增1条" in output, output
    assert Enterprise.objects.filter(uscc=code).exists()
    job = ImportJob.objects.latest("pk")
    assert (job.status, job.created_by, job.original_name) == (ImportJob.Status.DONE, admin, "ent.csv")
    assert job.file.read() == (tmp_path / "ent.csv").read_bytes()  # the file is kept with the job


def test_refused_file_prints_each_bad_row_and_exits_1(admin, tmp_path):
    path = write(tmp_path, "bad.xlsx", [ENTERPRISE_HEADER, enterprise_row(factories.uscc_for("330106")),
                                        enterprise_row("91330106ABC", region="330106"),
                                        enterprise_row(factories.uscc_for("330106"), industry="9999")])
    status, output = run("ib_import", "enterprises", path)
    assert status == 1
    assert "第3行\t统一社会信用代码\t统一社会信用代码应为18位，实际为11位" in output
    assert "第4行\t行业代码\t行业代码“9999”不在GB/T 4754-2017中" in output
    assert "文件被拒绝" in output
    assert not Enterprise.objects.exists()
    assert run("ib_import", "enterprises", path, "--dry-run")[0] == 1


def test_missing_columns_exit_1_with_the_columns_named(admin, tmp_path):
    path = write(tmp_path, "cols.csv", [["企业名称"], ["某公司"]])
    status, output = run("ib_import", "enterprises", path)
    assert status == 1 and "缺少必需的列：统一社会信用代码、区划代码、行业代码" in output


def test_usage_errors_exit_2(admin, tmp_path):
    path = write(tmp_path, "e.csv", [ENTERPRISE_HEADER, enterprise_row(factories.uscc_for("330106"))])
    assert run("ib_import", "projects", path)[0] == 2
    assert run("ib_import", "enterprises", str(tmp_path / "missing.csv"))[0] == 2
    status, output = run("ib_import", "enterprises", path, "--user", "nobody")
    assert status == 2 and "用户“nobody”不存在" in output
    factories.user("ent", Role.ENTERPRISE_USER)
    status, output = run("ib_import", "enterprises", path, "--user", "ent")
    assert status == 2 and "无导入权限" in output


def test_facts_alias_imports_yearly_facts(admin, tmp_path, xihu_enterprise):
    path = write(tmp_path, "facts.csv", [YEARLY_HEADER, [xihu_enterprise.uscc, "2023", "8000", "7800", "400", "", ""]])
    status, output = run("ib_import", "facts", path)
    assert status == 0, output
    assert YearlyFact.objects.get(enterprise=xihu_enterprise, year=2023).staff == 400
    assert ImportJob.objects.get().kind == "yearly"


def test_county_officer_rows_outside_the_county_are_refused(admin, tmp_path):
    factories.user("county", Role.COUNTY_OFFICER, "330106")
    path = write(tmp_path, "e.csv", [ENTERPRISE_HEADER, enterprise_row(factories.uscc_for("330106")),
                                     enterprise_row(factories.uscc_for("330203"), region="330203")])
    status, output = run("ib_import", "enterprises", path, "--user", "county")
    assert status == 1 and "第3行\t区划代码\t无权导入该地区企业" in output
    assert not Enterprise.objects.exists()


def test_export_region_subtree(tmp_path, xihu_enterprise, city_enterprise, other_enterprises):
    tag = Tag.objects.create(code="hitech", name="高新技术企业")
    xihu_enterprise.tags.add(tag)
    factories.yearly_fact(xihu_enterprise, 2023, main_business_revenue=4800)
    target = tmp_path / "hz.xlsx"
    status, output = run("ib_export", "enterprises", "--region", "330100", str(target))
    assert status == 0 and "2家" in output
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(target).active.iter_rows()]
    assert rows[0][:9] == ENTERPRISE_HEADER
    by_code = {row[0]: row for row in rows[1:]}
    assert set(by_code) == {xihu_enterprise.uscc, city_enterprise.uscc}
    xihu = by_code[xihu_enterprise.uscc]
    assert xihu[1:4] == ["西湖芯片有限公司", "330106", "3973"] and xihu[5] == "民营" and xihu[6] == "高新技术企业"
    assert xihu[-1] == "是"


def test_exported_file_imports_back_unchanged(admin, tmp_path, xihu_enterprise):
    target = tmp_path / "round.xlsx"
    assert run("ib_export", "enterprises", "--region", "330106", str(target))[0] == 0
    status, output = run("ib_import", "enterprises", str(target))
    assert status == 0 and "无变化1条" in output, output


def test_export_usage_errors(tmp_path):
    assert run("ib_export", "enterprises", "--region", "999999", str(tmp_path / "x.xlsx"))[0] == 2
    assert run("ib_export", "enterprises", "--region", "330100", str(tmp_path / "x.csv"))[0] == 2
    assert run("ib_export", "projects", "--region", "330100", str(tmp_path / "x.xlsx"))[0] == 2
    with pytest.raises(CommandError):
        call_command("ib_export", "enterprises", str(tmp_path / "x.xlsx"))  # --region is required


def test_cli_maps_import_and_export(monkeypatch):
    seen = []
    monkeypatch.setattr("django.core.management.execute_from_command_line", seen.append)
    cli.main(["industrybrain", "import", "enterprises", "a.csv"])
    cli.main(["industrybrain", "export", "enterprises", "--region", "330100", "a.xlsx"])
    assert [argv[1] for argv in seen] == ["ib_import", "ib_export"]
