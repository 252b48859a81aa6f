"""Published boards: the board as published is stored; later revisions of figures do not change it; the page
shows the published version by default with a note when the current figures differ; exports use it."""

from __future__ import annotations

import io
from decimal import Decimal

from docx import Document
from openpyxl import load_workbook

from industrybrain.indicators.services import record_values
from industrybrain.monitoring import published
from industrybrain.monitoring.models import Level, PublishedBoard, PublishedBoardRow
from industrybrain.monitoring.rankings import build_board

from .conftest import figure

QUERY = "indicator=above_scale_value_added&period=2023-10&level=city"


def _xlsx_rows(response) -> list[tuple]:
    data = b"".join(response.streaming_content)
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


def test_publish_stores_rows_and_survives_revisions(city_board, officers):
    board = build_board(city_board, 2023, 10, Level.CITY, "330000")
    snapshot = published.publish(board, officers["province"], "10月晾晒")
    assert snapshot.version == 1 and snapshot.published_by == officers["province"]
    from auditlog.models import LogEntry

    assert LogEntry.objects.get_for_object(snapshot).filter(action=LogEntry.Action.CREATE).exists()  # audited
    assert PublishedBoardRow.objects.filter(board=snapshot).count() == len(board.rows)
    jx = PublishedBoardRow.objects.get(board=snapshot, region_id="330400")
    assert (jx.value, jx.rank, jx.group_size, jx.status, jx.meets_average) == (Decimal("4.0"), 4, 4, "red", False)
    # the statistics bureau revises 嘉兴 1–10月 from 4.0 to 6.5: now first, green
    record_values([figure("above_scale_value_added", "330400", 2023, 10, "6.5")], source="修订")
    current = build_board(city_board, 2023, 10, Level.CITY, "330000")
    assert current.row("330400").rank == 1
    stored = published.as_board(published.latest(city_board, 2023, 10, Level.CITY, current.province))
    assert stored.row("330400").value == Decimal("4.0") and stored.row("330400").rank == 4
    assert [r.code for r in stored.rows] == [r.code for r in board.rows]
    diffs = published.differences(stored, current)
    # 嘉兴 moved 4 → 1, 杭州 1 → 2 (value unchanged), 宁波 and 温州 2 → 3
    assert {d.code for d in diffs} == {"330100", "330200", "330300", "330400"}
    assert (diffs[0].code, diffs[0].published, diffs[0].current) == ("330400", "4.0（第4名）", "6.5（第1名）")
    assert [d.value_changed for d in diffs] == [True, False, False, False]  # the revised figure first
    record_values([figure("above_scale_value_added", "330400", 2023, 10, "4.04")], source="再修订")
    small = published.differences(stored, build_board(city_board, 2023, 10, Level.CITY, "330000"))
    assert [(d.code, d.published, d.current) for d in small] == [("330400", "4.00（第4名）", "4.04（第4名）")]
    record_values([figure("above_scale_value_added", "330400", 2023, 10, "6.5")], source="再修订")
    again = published.publish(current, officers["province"])
    assert again.version == 2 and published.latest(city_board, 2023, 10, Level.CITY, current.province) == again
    assert published.differences(published.as_board(again), current) == []
    assert PublishedBoard.objects.count() == 2  # version 1 is kept


def test_board_page_shows_published_version_and_note(client, city_board, officers):
    client.force_login(officers["province"])
    html = client.get(f"/monitoring/board/?{QUERY}").content.decode()
    assert 'data-testid="board-unpublished"' in html and 'data-testid="publish"' in html
    response = client.post("/monitoring/board/publish/?province=330000", {
        "indicator": "above_scale_value_added", "period": "2023-10", "level": "city", "note": "月度例会"})
    assert response.status_code == 302 and QUERY in response["Location"]
    assert PublishedBoard.objects.get().note == "月度例会"
    html = client.get(f"/monitoring/board/?{QUERY}").content.decode()
    assert 'data-testid="board-published"' in html and "board-differs" not in html
    record_values([figure("above_scale_value_added", "330400", 2023, 10, "6.5")], source="修订")
    html = client.get(f"/monitoring/board/?{QUERY}").content.decode()
    assert 'data-testid="board-differs"' in html and "嘉兴市 4.0（第4名） → 6.5（第1名）" in html
    row = html.split('data-region="330400"')[1].split("</tr>")[0]
    assert "4.0" in row and "6.5" not in row                      # the published figure by default
    current = client.get(f"/monitoring/board/?{QUERY}&view=current").content.decode()
    assert "6.5" in current.split('data-region="330400"')[1].split("</tr>")[0]


def test_exports_of_a_published_board_use_the_snapshot(client, city_board, officers):
    client.force_login(officers["province"])
    client.post("/monitoring/board/publish/", {"indicator": "above_scale_value_added", "period": "2023-10",
                                               "level": "city"})
    record_values([figure("above_scale_value_added", "330400", 2023, 10, "6.5")], source="修订")
    xlsx = client.get(f"/monitoring/board/xlsx/?{QUERY}")
    assert "%E5%8F%91%E5%B8%83%E7%AC%AC1%E7%89%88" in xlsx["Content-Disposition"]  # 发布第1版
    jx = next(r for r in _xlsx_rows(xlsx) if r[3] == "330400")
    assert (jx[1], jx[4]) == (4, "4.0")
    jx_now = next(r for r in _xlsx_rows(client.get(f"/monitoring/board/xlsx/?{QUERY}&view=current")) if r[3] == "330400")
    assert (jx_now[1], jx_now[4]) == (1, "6.5")
    doc = Document(io.BytesIO(client.get(f"/monitoring/board/docx/?{QUERY}").content))
    cells = [[c.text for c in row.cells] for t in doc.tables for row in t.rows]
    assert any("嘉兴市" in row and "4.0" in row for row in cells)
    assert "发布的第1版" in "\n".join(p.text for p in doc.paragraphs)


def test_only_province_officers_publish_and_everyone_sees_the_published_board(client, city_board, officers):
    client.force_login(officers["city"])
    assert client.post("/monitoring/board/publish/", {"indicator": "above_scale_value_added", "period": "2023-10",
                                                      "level": "city"}).status_code == 404
    assert not PublishedBoard.objects.exists()
    published.publish(build_board(city_board, 2023, 10, Level.CITY, "330000"), officers["province"])
    html = client.get(f"/monitoring/board/?{QUERY}").content.decode()
    assert 'data-testid="board-published"' in html and 'data-testid="publish"' not in html
    client.force_login(officers["enterprise"])
    assert client.post("/monitoring/board/publish/", {"indicator": "above_scale_value_added"}).status_code == 404


def test_api_returns_the_published_board(client, city_board, officers):
    published.publish(build_board(city_board, 2023, 10, Level.CITY, "330000"), officers["province"])
    record_values([figure("above_scale_value_added", "330400", 2023, 10, "6.5")], source="修订")
    client.force_login(officers["province"])
    data = client.get(f"/api/monitoring/rankings/?{QUERY}").json()
    assert data["view"] == "published" and data["published"]["version"] == 1
    assert data["published"]["differs_from_current"] is True
    assert next(r for r in data["rows"] if r["region"] == "330400")["rank"] == 4
    now = client.get(f"/api/monitoring/rankings/?{QUERY}&view=current").json()
    assert now["view"] == "current" and next(r for r in now["rows"] if r["region"] == "330400")["rank"] == 1


def test_pages_in_english(client, city_board, officers):
    from pathlib import Path

    from django.conf import settings

    mo = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES" / "django.mo"
    assert mo.exists(), "the English catalogue is not compiled: run `make messages`"
    client.force_login(officers["province"])
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    html = client.get(f"/monitoring/board/?{QUERY}").content.decode()
    assert "This board has not been published" in html and "Publish this board" in html
    published.publish(build_board(city_board, 2023, 10, Level.CITY, "330000"), officers["province"])
    record_values([figure("above_scale_value_added", "330400", 2023, 10, "6.5")], source="修订")
    html = client.get(f"/monitoring/board/?{QUERY}").content.decode()
    assert "Published version 1" in html and "The current figures differ from the published version" in html
    html = client.get("/monitoring/triggers/rules/new/").content.decode()
    assert "New trigger rule" in html and "Available fields" in html and "Preview period" in html
    html = client.get("/monitoring/?indicator=above_scale_value_added&level=city").content.decode()
    assert "Higher is better for this indicator" in html


def test_cli_prints_the_published_board(city_board, officers):
    from django.core.management import call_command

    args = ["ib_rankings", "--indicator", "above_scale_value_added", "--period", "2023-10", "--level", "city"]
    out = io.StringIO()
    call_command(*args, stdout=out)
    assert "未发布，按当前数据" in out.getvalue()
    published.publish(build_board(city_board, 2023, 10, Level.CITY, "330000"), officers["province"])
    record_values([figure("above_scale_value_added", "330400", 2023, 10, "6.5")], source="修订")
    out = io.StringIO()
    call_command(*args, stdout=out)
    assert "发布第1版，当前数据已有变化" in out.getvalue() and "4\t嘉兴市\t4.0\t—\t红" in out.getvalue()
    out = io.StringIO()
    call_command(*args, "--current", stdout=out)
    assert "1\t嘉兴市\t6.5" in out.getvalue()


def test_admin_pages(client, city_board, officers):
    from industrybrain.core.models import Role
    from industrybrain.monitoring.models import TriggerRule
    from tests import factories

    snapshot = published.publish(build_board(city_board, 2023, 10, Level.CITY, "330000"), officers["province"])
    admin = factories.user("root", Role.ADMINISTRATOR)
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    rule = TriggerRule.objects.first()
    assert client.get(f"/admin/monitoring/triggerrule/{rule.pk}/change/").status_code == 200
    bad = client.post(f"/admin/monitoring/triggerrule/{rule.pk}/change/", {
        "name": rule.name, "condition": "rank_from_bottom <=", "consecutive": 2, "level": "", "active": "on"})
    assert bad.status_code == 200 and "第 1 行" in bad.content.decode()  # the admin validates the condition too
    assert client.get(f"/admin/monitoring/publishedboard/{snapshot.pk}/change/").status_code == 200
    for name in ("monitoringconfig", "triggerrule", "triggerhit", "publishedboard", "warningletter", "regionplan",
                 "electricityalert"):
        assert client.get(f"/admin/monitoring/{name}/").status_code == 200, name
    assert client.get("/admin/monitoring/triggerrule/add/").status_code == 200
    assert client.get("/admin/monitoring/publishedboard/add/").status_code == 403  # a record, never written here
    client.force_login(officers["province"])  # the admin is for the administrator role only
    assert client.get("/admin/monitoring/triggerrule/").status_code == 302


def test_publish_needs_indicator_period_and_level(client, city_board, officers):
    client.force_login(officers["province"])
    for data in ({"indicator": "above_scale_value_added", "period": "2023-10"},
                 {"indicator": "above_scale_value_added", "level": "city"},
                 {"period": "2023-10", "level": "city"},
                 {"indicator": "above_scale_value_added", "period": "2023-07", "level": "city"}):  # no figures
        assert client.post("/monitoring/board/publish/", data).status_code == 302
    assert not PublishedBoard.objects.exists()
