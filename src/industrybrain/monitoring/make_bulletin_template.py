"""Build monitoring/docx_templates/bulletin.docx, the docxtpl template of the 运行简报.

Run `python -m industrybrain.monitoring.make_bulletin_template` after changing the layout and commit both
this script and the generated .docx. Officers may replace the .docx with their own letterhead as long as
the Jinja tags stay: {{ title }}, {{ issuer }}, {{ date }}, the paragraph loop and the table row loop.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

OUT = Path(__file__).resolve().parent / "docx_templates" / "bulletin.docx"
HEADERS = ("指标", "期别", "累计值", "单位", "累计同比%", "参照", "口径")
KEYS = ("indicator", "period", "ytd_value", "unit", "ytd_yoy_pct", "references", "basis")


def _font(run, size: int, bold: bool = False, family: str = "仿宋") -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = family
    run._element.rPr.rFonts.set(qn("w:eastAsia"), family)


def build(path: Path = OUT) -> Path:
    document = Document()
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(title.add_run("{{ title }}"), 18, True, "黑体")
    meta = document.add_paragraph()
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(meta.add_run("{{ issuer }}　{{ date }}"), 12)
    document.add_paragraph("{%p for p in paragraphs %}")
    body = document.add_paragraph()
    body.paragraph_format.first_line_indent = Pt(32)
    _font(body.add_run("{{ p }}"), 16)
    document.add_paragraph("{%p endfor %}")
    heading = document.add_paragraph()
    _font(heading.add_run("附表：主要指标"), 14, True, "黑体")
    table = document.add_table(rows=3, cols=len(HEADERS))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, HEADERS, strict=True):
        _font(cell.paragraphs[0].add_run(text), 10, True)
    loop = table.rows[1].cells
    loop[0].paragraphs[0].add_run("{%tr for r in rows %}")
    for cell, key in zip(table.rows[2].cells, KEYS, strict=True):
        _font(cell.paragraphs[0].add_run("{{ r." + key + " }}"), 10)
    end = document.add_table(rows=1, cols=len(HEADERS))
    end.style = "Table Grid"
    end.rows[0].cells[0].paragraphs[0].add_run("{%tr endfor %}")
    # the end-of-loop row must sit in the same table as the loop: move it there
    table._tbl.append(end.rows[0]._tr)
    end._tbl.getparent().remove(end._tbl)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


if __name__ == "__main__":
    print(build())
