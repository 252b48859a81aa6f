"""Build monitoring/docx_templates/warning_letter.docx (提示函) and ranking_board.docx (晾晒榜单), docxtpl templates.

Run `python -m industrybrain.monitoring.make_monitoring_templates` after changing a layout and commit both this
script and the generated .docx files. Officers may replace a .docx with their own letterhead as long as the Jinja
tags stay (letter: number, region, title, period, reasons loop, rows loop, body, deadline, issuer, date; board:
title, subtitle, date, groups loop with its rows loop).
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from .make_bulletin_template import _font

DIR = Path(__file__).resolve().parent / "docx_templates"
LETTER = DIR / "warning_letter.docx"
BOARD = DIR / "ranking_board.docx"


def _loop_table(document, headers: tuple[str, ...], keys: tuple[str, ...], var: str, source: str) -> None:
    table = document.add_table(rows=3, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        _font(cell.paragraphs[0].add_run(text), 10, True)
    table.rows[1].cells[0].paragraphs[0].add_run("{%tr for " + var + " in " + source + " %}")
    for cell, key in zip(table.rows[2].cells, keys, strict=True):
        _font(cell.paragraphs[0].add_run("{{ " + var + "." + key + " }}"), 10)
    end = document.add_table(rows=1, cols=len(headers))
    end.rows[0].cells[0].paragraphs[0].add_run("{%tr endfor %}")
    table._tbl.append(end.rows[0]._tr)
    end._tbl.getparent().remove(end._tbl)


def _centered(document, text: str, size: int, bold: bool = False, family: str = "仿宋") -> None:
    p = document.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run(text), size, bold, family)


def _body(document, text: str, indent: bool = True) -> None:
    p = document.add_paragraph()
    if indent:
        p.paragraph_format.first_line_indent = Pt(32)
    _font(p.add_run(text), 16)


def build_letter(path: Path = LETTER) -> Path:
    document = Document()
    _centered(document, "{{ number }}", 12)
    _centered(document, "{{ title }}", 20, True, "方正小标宋简体")
    _body(document, "{{ region }}：", indent=False)
    _body(document, "根据{{ period }}工业经济运行监测和指标晾晒情况，你地区存在以下短板弱项：")
    document.add_paragraph("{%p for r in reasons %}")
    _body(document, "{{ loop.index }}. {{ r }}")
    document.add_paragraph("{%p endfor %}")
    _loop_table(document, ("指标", "期别", "本地区", "全省", "组内排名", "比较组", "晾晒状态"),
                ("indicator", "period", "value", "province", "rank", "group", "status"), "f", "rows")
    _body(document, "{{ body }}请于{{ deadline }}前将整改方案（含目标、举措、责任领导）报送我厅。")
    p = document.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _font(p.add_run("{{ issuer }}"), 16)
    p = document.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _font(p.add_run("{{ date }}"), 16)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def build_board(path: Path = BOARD) -> Path:
    document = Document()
    _centered(document, "{{ title }}", 18, True, "黑体")
    _centered(document, "{{ subtitle }}　{{ date }}", 12)
    document.add_paragraph("{%p for g in groups %}")
    p = document.add_paragraph()
    _font(p.add_run("{{ g.name }}"), 14, True, "黑体")
    _loop_table(document, ("排名", "地区", "数值", "排名变化", "状态", "目标"),
                ("rank", "region", "value", "change", "status", "target"), "r", "g.rows")
    document.add_paragraph("{%p endfor %}")
    _body(document, "{{ note }}", indent=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


if __name__ == "__main__":
    print(build_letter())
    print(build_board())
