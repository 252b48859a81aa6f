import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from .conftest import make_project

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("ib_projects", *args, stdout=out)
    return out.getvalue()


def test_lists_counts_and_totals_by_region(xihu_enterprise, other_enterprises):
    make_project("330106", xihu_enterprise, total=Decimal("150000"), actual_signed=dt.date(2026, 2, 1))
    make_project("330106", None, stage="started", total=Decimal("5000"), actual_started=dt.date(2026, 4, 1))
    make_project("330203", other_enterprises[0], total=Decimal("20000"))
    out = run("lists", "--region", "330100", "--year", "2026")
    lines = out.splitlines()
    assert lines[0] == "重大产业项目六张清单 —— 浙江省杭州市（330100）"
    assert lines[2].split() == ["签约", "1", "15.00"]
    assert lines[4].split() == ["开工", "1", "0.50"]
    assert lines[8].split() == ["合计", "2", "15.50"]
    assert "2026年：签约亿元以上项目1个，总投资15.00亿元；新开工1个，竣工0个" in out
    assert run("lists").splitlines()[8].split() == ["合计", "3", "17.50"]


def test_unknown_region_and_alerts_command(xihu_enterprise):
    with pytest.raises(CommandError):
        run("lists", "--region", "999999")
    project = make_project("330106", xihu_enterprise, planned_land_acquired=dt.date(2026, 6, 1),
                           stage_entered_on=dt.date(2026, 5, 20))
    assert run("alerts", "--as-of", "2026-06-10").strip() == "预警检查（2026-06-10）：新增1条，持续0条，解除0条"
    assert project.alerts.count() == 1
