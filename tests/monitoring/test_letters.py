"""提示函: triggers for ≥2 consecutive releases, the letter's whole life on the workflow engine (deadline in
working days across the 2023 National Day holiday: 29 Sep – 6 Oct off, 7–8 Oct make-up workdays), scoping."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from docx import Document

from industrybrain.core.models import Notification, Region
from industrybrain.indicators.services import record_values
from industrybrain.monitoring import letters, triggers
from industrybrain.monitoring.models import TriggerHit, TriggerRule, WarningLetter
from industrybrain.workflow.services import TransitionError
from industrybrain.workflow.services import history as transition_history

from .conftest import figure

HOLIDAY_ISSUE = dt.date(2023, 9, 28)  # the Thursday before the National Day holiday


CONDITIONS = {"below_average": "NOT meets_average", "behind_target": "NOT meets_target"}
NAMES = {"below_average": "低于全省平均", "behind_target": "落后目标进度", "bottom_n": "同组排名倒数"}


def _rules(**kinds):
    TriggerRule.objects.all().delete()
    out = []
    for k, v in kinds.items():
        n = v.get("bottom_n")
        condition = f"rank_from_bottom <= {n} AND group_size > {n}" if n else CONDITIONS[k]
        out.append(TriggerRule.objects.create(name=NAMES[k], condition=condition, consecutive=2))
    return out


def test_below_average_for_two_consecutive_releases(city_board):
    _rules(below_average={})
    hits = triggers.evaluate(2023, 10, [Region.objects.get(pk="330000")])
    # 330400 is below 5.0 at 1–9月 and 1–10月; 330100 only at 1–9月 (one release is not enough)
    assert {(h.region.code, h.rule.name) for h in hits} == {("330400", "低于全省平均")}
    assert hits[0].reason == "规上工业增加值为4.0，设区市第4/4位，全省平均5.0，目标增速5.0%；连续2期符合“低于全省平均”"


def test_bottom_n_and_behind_target(city_board):
    _rules(bottom_n={"bottom_n": 1}, behind_target={})
    hits = triggers.evaluate(2023, 10, [Region.objects.get(pk="330000")])
    got = {(h.region.code, h.rule.name) for h in hits}
    # bottom 1 of 4 at both releases: 330400; behind target both times: 330100 (4.0, 6.0 < 7.0) and 330400 (3, 4 < 5)
    assert got == {("330400", "同组排名倒数"), ("330400", "落后目标进度"), ("330100", "落后目标进度")}


def test_three_consecutive_needs_three_releases(city_board):
    _rules(below_average={})
    TriggerRule.objects.update(consecutive=3)
    assert triggers.evaluate(2023, 10, [Region.objects.get(pk="330000")]) == []  # no 1–8月 figures


def test_run_month_replaces_the_periods_hits(city_board):
    _rules(below_average={})
    assert len(triggers.run_month(2023, 10)) == 1
    assert len(triggers.run_month(2023, 10)) == 1
    assert TriggerHit.objects.count() == 1


def _letter(user) -> WarningLetter:
    _rules(below_average={}, behind_target={})
    triggers.run_month(2023, 10)
    return letters.draft_letter(Region.objects.get(pk="330400"), 2023, 10, user)


@pytest.fixture
def jiaxing_officer(db):
    from industrybrain.core.models import Role
    from tests import factories

    return factories.user("jx", Role.CITY_OFFICER, "330400")


def test_letter_whole_life_with_working_day_deadline(city_board, officers, jiaxing_officer):
    province = officers["province"]
    letter = _letter(province)
    assert letter.state == "draft" and letter.reasons == [
        "规上工业增加值为4.0，设区市第4/4位，全省平均5.0，目标增速5.0%；触发“低于全省平均”“落后目标进度”"]
    assert letter.figures[0]["value"] == "4.0" and letter.figures[0]["rank"] == "4/4"

    with pytest.raises(TransitionError):
        letters.move(letter, "approved", jiaxing_officer)          # the addressed region cannot approve itself
    letters.move(letter, "approved", province, today=HOLIDAY_ISSUE)
    letter.refresh_from_db()
    with pytest.raises(TransitionError):
        letters.move(letter, "acknowledged", jiaxing_officer)      # not issued yet
    letters.move(letter, "issued", province, today=HOLIDAY_ISSUE)
    letter.refresh_from_db()
    assert letter.issued_on == HOLIDAY_ISSUE
    assert letter.acknowledge_due_on == dt.date(2023, 10, 9)  # 7 Oct (Sat), 8 Oct (Sun) make-up days, 9 Oct
    assert letter.plan_due_on == dt.date(2023, 10, 18)        # 10 working days, the holiday skipped
    assert Notification.objects.filter(user=jiaxing_officer, title__contains=letter.number).exists()
    assert letters.plan_overdue(letter, dt.date(2023, 10, 19)) and not letters.plan_overdue(letter, dt.date(2023, 10, 18))

    with pytest.raises(TransitionError):
        letters.move(letter, "acknowledged", officers["city"])   # 杭州 is not the addressed region
    letters.move(letter, "acknowledged", jiaxing_officer, today=dt.date(2023, 10, 7))
    letter.refresh_from_db()
    with pytest.raises(TransitionError) as exc:
        letters.move(letter, "plan_submitted", jiaxing_officer)  # the plan text is required
    assert "整改方案" in str(exc.value)
    letters.move(letter, "plan_submitted", jiaxing_officer, data={"plan_text": "三季度攻坚：重点企业一企一策"},
                 today=dt.date(2023, 10, 16))
    letter.refresh_from_db()
    assert letter.plan_submitted_on == dt.date(2023, 10, 16) and not letters.plan_overdue(letter, dt.date(2023, 11, 1))
    letters.move(letter, "acknowledged", province, reason="举措不够具体，请补充")    # sent back
    letter.refresh_from_db()
    letters.move(letter, "plan_submitted", jiaxing_officer, data={"plan_text": "补充后的方案"})
    letter.refresh_from_db()
    letters.move(letter, "tracking", province)
    letter.refresh_from_db()
    letters.add_progress(letter, jiaxing_officer, "10月增速回升")
    with pytest.raises(TransitionError):
        letters.move(letter, "closed", province)                 # closing needs a note
    letters.move(letter, "closed", province, data={"closing_note": "连续两月回到全省平均以上"})
    letter.refresh_from_db()
    assert letter.state == "closed" and letter.plan_text == "补充后的方案"
    assert [t.target_state for t in transition_history(letter)] == [
        "approved", "issued", "acknowledged", "plan_submitted", "acknowledged", "plan_submitted", "tracking", "closed"]


def test_idempotent_retry_and_stale_submission(city_board, officers):
    letter = _letter(officers["province"])
    first = letters.move(letter, "approved", officers["province"], token="k1", expected_source="draft")
    again = letters.move(letter, "approved", officers["province"], token="k1", expected_source="draft")
    assert first.created and not again.created
    with pytest.raises(TransitionError):
        letters.move(letter, "approved", officers["province"], expected_source="draft")


def test_later_figures_and_docx(city_board, officers):
    letter = _letter(officers["province"])
    record_values([figure("above_scale_value_added", "330400", 2023, 11, "4.8"),
                   figure("above_scale_value_added", "330000", 2023, 11, "5.2")], source="测试")
    later = letters.later_figures(letter)
    assert later[0]["rows"] == [{"period": "2023-11", "value": "4.8", "province": "5.2"}]
    doc = Document(io.BytesIO(letters.render_docx(letter)))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert letter.number in text and "浙江省嘉兴市" in text and "低于全省平均" in text
    assert "规上工业增加值" in cells and "4/4" in cells


def test_letter_scoping_pages_and_lists(client, city_board, officers, jiaxing_officer):
    letter = _letter(officers["province"])
    client.force_login(officers["other_county"])
    assert client.get(f"/monitoring/letters/{letter.pk}/").status_code == 404
    assert client.get(f"/monitoring/letters/{letter.pk}/docx/").status_code == 404
    assert client.post(f"/monitoring/letters/{letter.pk}/move/", {"target": "approved"}).status_code == 404
    assert letter.number not in client.get("/monitoring/letters/").content.decode()
    assert "嘉兴" not in client.get("/monitoring/triggers/?period=2023-10").content.decode()
    client.force_login(jiaxing_officer)
    page = client.get(f"/monitoring/letters/{letter.pk}/").content.decode()
    assert letter.number in page and 'data-testid="move-approved"' not in page
    client.force_login(officers["province"])
    assert letter.number in client.get("/monitoring/letters/").content.decode()
    response = client.post(f"/monitoring/letters/{letter.pk}/move/", {"target": "approved", "expected": "draft"})
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.state == "approved"


def test_draft_from_the_trigger_page(client, city_board, officers):
    _rules(below_average={})
    triggers.run_month(2023, 10)
    client.force_login(officers["province"])
    assert "330400" in client.get("/monitoring/triggers/?period=2023-10").content.decode()
    response = client.post("/monitoring/triggers/draft/", {"region": "330400", "period": "2023-10"})
    letter = WarningLetter.objects.get()
    assert response.url == f"/monitoring/letters/{letter.pk}/"
    client.force_login(officers["county"])   # 西湖区 cannot draft for 嘉兴
    assert client.post("/monitoring/triggers/draft/", {"region": "330400", "period": "2023-10"}).status_code == 404


@pytest.mark.urls("tests.monitoring.api_urls")
def test_api_letters_scoped_and_move(client, city_board, officers, jiaxing_officer):
    letter = _letter(officers["province"])
    client.force_login(officers["other_county"])
    assert client.get("/api-monitoring/monitoring/letters/").json()["results"] == []
    assert client.get(f"/api-monitoring/monitoring/letters/{letter.pk}/").status_code == 404
    client.force_login(officers["province"])
    response = client.post(f"/api-monitoring/monitoring/letters/{letter.pk}/move/", {"target": "approved"},
                           content_type="application/json")
    assert response.status_code == 200 and response.json()["letter"]["state"] == "approved"
    client.force_login(jiaxing_officer)
    response = client.post(f"/api-monitoring/monitoring/letters/{letter.pk}/move/", {"target": "issued"},
                           content_type="application/json")
    assert response.status_code == 400
