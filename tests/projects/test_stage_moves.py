"""The six lists as a stage machine, through the project service (evidence files, dates, reasons)."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from industrybrain.projects.models import ProjectStageEvidence
from industrybrain.projects.services import move_stage
from industrybrain.workflow.models import Transition
from industrybrain.workflow.services import StaleTransition, TransitionError

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 20)


def pdf(name="证明.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 test", content_type="application/pdf")


def test_project_walks_all_six_lists(roles, xihu_project, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    dates = {"land_acquired": dt.date(2026, 3, 2), "started": dt.date(2026, 4, 1),
             "under_construction": dt.date(2026, 5, 6), "completed": dt.date(2026, 9, 1),
             "in_production": dt.date(2026, 10, 9)}
    for stage, day in dates.items():
        move_stage(xihu_project, roles["county"], stage, effective_date=day, evidence=[pdf()],
                   data={"land_parcel": "西湖区XH-2026-01"}, expected_stage=xihu_project.stage, today=TODAY)
        xihu_project.refresh_from_db()
        assert xihu_project.stage == stage
        assert xihu_project.actual(stage) == day
    assert ProjectStageEvidence.objects.filter(project=xihu_project).count() == 5
    assert Transition.for_object(xihu_project).count() == 5
    assert (tmp_path / ProjectStageEvidence.objects.first().file.name).exists()


def test_refused_without_date_or_evidence(roles, xihu_project):
    with pytest.raises(TransitionError) as exc:
        move_stage(xihu_project, roles["county"], "land_acquired", effective_date=None, today=TODAY)
    assert exc.value.errors == ["请填写地块", "请上传佐证材料：不动产权证书（土地证）或土地出让合同",
                                "请填写拿地的实际日期"]
    xihu_project.refresh_from_db()
    assert xihu_project.stage == "signed"


def test_date_cannot_precede_previous_stage(roles, xihu_project):
    with pytest.raises(TransitionError) as exc:
        move_stage(xihu_project, roles["county"], "land_acquired", effective_date=dt.date(2026, 1, 1),
                   evidence=[pdf()], data={"land_parcel": "X"}, today=TODAY)
    assert exc.value.errors == ["拿地日期不能早于签约日期（2026-01-10）"]


def test_enterprise_user_cannot_move(roles, xihu_project):
    with pytest.raises(TransitionError) as exc:
        move_stage(xihu_project, roles["enterprise"], "land_acquired", effective_date=dt.date(2026, 3, 1),
                   evidence=[pdf()], data={"land_parcel": "X"}, today=TODAY)
    assert "只有经信部门干部可以调整项目所处清单" in exc.value.errors


def test_backward_needs_reason_clears_later_dates(roles, xihu_project, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    move_stage(xihu_project, roles["county"], "land_acquired", effective_date=dt.date(2026, 3, 2),
               evidence=[pdf()], data={"land_parcel": "X"}, today=TODAY)
    move_stage(xihu_project, roles["county"], "started", effective_date=dt.date(2026, 4, 1), evidence=[pdf()],
               today=TODAY)
    with pytest.raises(TransitionError) as exc:
        move_stage(xihu_project, roles["county"], "land_acquired", effective_date=None, today=TODAY)
    assert exc.value.errors == ["回退必须填写原因说明"]
    move_stage(xihu_project, roles["county"], "land_acquired", effective_date=None, reason="施工许可被撤销",
               today=TODAY)
    xihu_project.refresh_from_db()
    assert (xihu_project.stage, xihu_project.actual_started) == ("land_acquired", None)
    assert xihu_project.actual_land_acquired == dt.date(2026, 3, 2)
    last = Transition.for_object(xihu_project).last()
    assert last.is_backward and last.reason == "施工许可被撤销" and last.actor == roles["county"]


def test_double_submit_moves_once(roles, xihu_project, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    kwargs = {"effective_date": dt.date(2026, 3, 2), "data": {"land_parcel": "X"}, "expected_stage": "signed",
              "today": TODAY}
    first = move_stage(xihu_project, roles["county"], "land_acquired", evidence=[pdf()], token="t-1", **kwargs)
    again = move_stage(xihu_project, roles["county"], "land_acquired", evidence=[pdf()], token="t-1", **kwargs)
    assert first.created and not again.created
    with pytest.raises(StaleTransition):
        move_stage(xihu_project, roles["county"], "land_acquired", evidence=[pdf()], token="t-2", **kwargs)
    assert Transition.for_object(xihu_project).count() == 1
    assert ProjectStageEvidence.objects.filter(project=xihu_project).count() == 1
