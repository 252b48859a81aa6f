"""The shared workflow engine on its own: definition checks, validation, logging, auditing, idempotency."""

import datetime as dt

import pytest
from auditlog.models import LogEntry

from industrybrain.projects.models import Project
from industrybrain.workflow.definition import BackwardPolicy, Move, State, TransitionRequest, Workflow
from industrybrain.workflow.models import Transition
from industrybrain.workflow.services import StaleTransition, TransitionError, transition, validate
from tests.projects.conftest import make_project

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 20)


def officer_only(user, obj):
    return user.role.endswith("officer")


FLOW = Workflow(
    name="demo",
    state_field="stage", entered_field="stage_entered_on",
    states=[State("signed", "签约", 5), State("land_acquired", "拿地", 10), State("started", "开工")],
    moves=[Move("signed", "land_acquired", allowed=officer_only, denied_message="仅干部可操作",
                required_fields=("land_parcel",), requires_date=True, evidence="土地证"),
           Move("land_acquired", "started", requires_date=True)],
    backward=BackwardPolicy(allowed=True),
)


def test_definition_rejects_unknown_states():
    with pytest.raises(ValueError):
        Workflow(name="x", states=[State("a", "A")], moves=[Move("a", "b")])


def test_all_errors_are_collected_in_chinese(roles, xihu_enterprise):
    project = make_project(enterprise=xihu_enterprise)
    errors = validate(FLOW, project, TransitionRequest(target="land_acquired", actor=roles["enterprise"]), TODAY)
    assert errors == ["仅干部可操作", "请填写地块", "请上传佐证材料：土地证", "请填写拿地的实际日期"]


def test_skipping_a_state_and_future_dates_are_refused(roles, xihu_enterprise):
    project = make_project(enterprise=xihu_enterprise)
    errors = validate(FLOW, project, TransitionRequest(target="started", actor=roles["county"]), TODAY)
    assert errors == ["不能从“签约”直接进入“开工”（可进入：拿地）"]
    errors = validate(FLOW, project, TransitionRequest(
        target="land_acquired", actor=roles["county"], effective_date=dt.date(2026, 12, 1),
        evidence=[{"name": "a.pdf"}], data={"land_parcel": "XH-01"}), TODAY)
    assert errors == ["实际日期2026-12-01不能晚于今天"]


def test_move_writes_log_and_audit_entry(roles, xihu_enterprise):
    project = make_project(enterprise=xihu_enterprise, land_parcel="XH-01")
    result = transition(project, FLOW, TransitionRequest(
        target="land_acquired", actor=roles["county"], effective_date=dt.date(2026, 11, 2),
        evidence=[{"name": "土地证.pdf"}]), today=TODAY)
    assert result.created
    project.refresh_from_db()
    assert (project.stage, project.stage_entered_on) == ("land_acquired", dt.date(2026, 11, 2))
    row = Transition.for_object(project).get()
    assert (row.source_state, row.target_state, row.actor, row.is_backward) == (
        "signed", "land_acquired", roles["county"], False)
    assert row.evidence == [{"name": "土地证.pdf"}]
    entry = LogEntry.objects.get_for_object(project).get(additional_data__workflow="demo")
    assert entry.changes_dict["stage"] == ["signed", "land_acquired"]
    assert entry.actor == roles["county"]
    assert entry.additional_data["transition_id"] == row.pk


def test_backward_needs_reason_and_is_marked(roles, xihu_enterprise):
    project = make_project(enterprise=xihu_enterprise, stage="started")
    with pytest.raises(TransitionError) as exc:
        transition(project, FLOW, TransitionRequest(target="signed", actor=roles["county"]), today=TODAY)
    assert exc.value.errors == ["回退必须填写原因说明"]
    assert Project.objects.get(pk=project.pk).stage == "started"
    transition(project, FLOW, TransitionRequest(target="signed", actor=roles["county"], reason="土地被收回"),
               today=TODAY)
    row = Transition.for_object(project).get()
    assert row.is_backward and row.reason == "土地被收回"


def test_same_key_twice_is_a_noop(roles, xihu_enterprise):
    project = make_project(enterprise=xihu_enterprise, land_parcel="XH-01")
    request = TransitionRequest(target="land_acquired", actor=roles["county"], expected_source="signed",
                                effective_date=dt.date(2026, 11, 2), evidence=[{"name": "a.pdf"}],
                                idempotency_key="form-123")
    first = transition(project, FLOW, request, today=TODAY)
    second = transition(project, FLOW, request, today=TODAY)
    assert first.created and not second.created
    assert second.transition.pk == first.transition.pk
    assert Transition.for_object(project).count() == 1
    assert Project.objects.get(pk=project.pk).stage == "land_acquired"


def test_stale_submission_without_key_is_refused_not_doubled(roles, xihu_enterprise):
    project = make_project(enterprise=xihu_enterprise, land_parcel="XH-01", stage="land_acquired")
    request = TransitionRequest(target="started", actor=roles["county"], expected_source="land_acquired",
                                effective_date=dt.date(2026, 11, 2))
    transition(project, FLOW, request, today=TODAY)
    with pytest.raises(StaleTransition) as exc:
        transition(project, FLOW, request, today=TODAY)
    assert "重复提交" in exc.value.errors[0]
    assert Transition.for_object(project).count() == 1


def test_out_of_scope_object_is_refused(roles, other_enterprises):
    from industrybrain.core.access import scope

    project = make_project("330203", other_enterprises[0], stage="land_acquired")
    with pytest.raises(TransitionError) as exc:
        transition(project, FLOW, TransitionRequest(target="started", actor=roles["county"],
                                                    effective_date=dt.date(2026, 11, 2)),
                   scoped_queryset=scope(roles["county"], Project.objects.all()), today=TODAY)
    assert exc.value.errors == ["该记录不在您的管辖范围内"]
    assert Project.objects.get(pk=project.pk).stage == "land_acquired"


def test_sla_clock_counts_working_days(xihu_enterprise):
    # 2026-09-30 (Wed) → 2026-10-09 (Fri): 国庆 1–7 Oct off, Sat 10 Oct a make-up workday.
    project = make_project(enterprise=xihu_enterprise, stage_entered_on=dt.date(2026, 9, 30))
    status = FLOW.sla_status(project, dt.date(2026, 10, 9))
    assert status.elapsed_working_days == 2
    assert status.overdue is False
    assert FLOW.sla_status(project, dt.date(2026, 10, 20)).overdue is True
    assert FLOW.sla_deadline("signed", dt.date(2026, 9, 30)) == dt.date(2026, 10, 13)
