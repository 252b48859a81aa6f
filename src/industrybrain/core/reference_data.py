"""Load the shipped reference data: GB/T 2260 regions, GB/T 4754-2017 industries, industry systems,
departments and the working-day calendar. Functions take model classes so that migrations can call
them with historical models; `load_all()` uses the current ones."""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


def read_csv(name: str) -> list[dict[str, str]]:
    with open(REFERENCE_DIR / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def read_yaml(name: str):
    with open(REFERENCE_DIR / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_regions(Region) -> int:
    """Parents come before children in the file; `path` is built from the parent's path."""
    paths: dict[str, str] = {}
    rows = []
    for row in read_csv("regions-zj-sh.csv"):
        parent = row["parent"] or None
        path = (paths[parent] if parent else "") + row["code"] + "/"
        paths[row["code"]] = path
        rows.append(Region(
            code=row["code"], name=row["name"], level=int(row["level"]), parent_id=parent, path=path,
            longitude=float(row["longitude"]) if row["longitude"] else None,
            latitude=float(row["latitude"]) if row["latitude"] else None,
            coord_source=row["coord_source"],
            tags=[t for t in row["tags"].split(";") if t],
        ))
    Region.objects.bulk_create(rows, update_conflicts=True, unique_fields=["code"],
                               update_fields=["name", "level", "parent", "path", "longitude", "latitude",
                                              "coord_source", "tags"])
    return len(rows)


def load_industries(Industry) -> int:
    rows = []
    sections: dict[str, str] = {}
    for row in read_csv("gbt4754-2017.csv"):
        level = int(row["level"])
        parent = row["parent"] or None
        section = row["code"] if parent is None else sections[parent]
        sections[row["code"]] = section
        rows.append(Industry(code=row["code"], name=row["name"], level=level, parent_id=parent,
                             section=section))
    Industry.objects.bulk_create(rows, update_conflicts=True, unique_fields=["code"],
                                 update_fields=["name", "level", "parent", "section"])
    return len(rows)


def load_industry_systems(IndustrySystem, IndustryCategory) -> int:
    count = 0
    for system_data in read_yaml("industry_systems.yaml"):
        system, _ = IndustrySystem.objects.update_or_create(
            code=system_data["code"],
            defaults={"name": system_data["name"], "jurisdiction_id": system_data["jurisdiction"],
                      "source": system_data.get("source", "")},
        )
        for order, cat in enumerate(system_data["categories"]):
            category, _ = IndustryCategory.objects.update_or_create(
                code=cat["code"],
                defaults={"system": system, "name": cat["name"], "kind": cat["kind"], "order": order},
            )
            category.industries.set(cat["industries"])
            count += 1
    return count


def load_departments(Department) -> int:
    rows = read_yaml("departments.yaml")
    for row in rows:
        Department.objects.update_or_create(code=row["code"],
                                            defaults={"name": row["name"], "region_id": row["region"]})
    return len(rows)


HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def load_calendar(CalendarYear, CalendarDay) -> int:
    """Seed holidays and make-up workdays from chinese-calendar for every year it knows."""
    import chinese_calendar

    days = []
    for day, name in chinese_calendar.holidays.items():
        if day.weekday() < 5:
            days.append(CalendarDay(date=day, is_workday=False, name=HOLIDAY_NAMES_ZH.get(name, name)))
    for day, name in chinese_calendar.workdays.items():
        if day.weekday() >= 5:
            days.append(CalendarDay(date=day, is_workday=True, name=HOLIDAY_NAMES_ZH.get(name or "", name or "")))
    CalendarDay.objects.bulk_create(days, ignore_conflicts=True)
    years = sorted({d.year for d in chinese_calendar.holidays})
    version = getattr(chinese_calendar, "__version__", "")
    CalendarYear.objects.bulk_create(
        [CalendarYear(year=y, source=f"chinese-calendar {version}".strip()) for y in years],
        ignore_conflicts=True,
    )
    return len(days)


def load_all() -> dict[str, int]:
    from . import models

    return {
        "regions": load_regions(models.Region),
        "industries": load_industries(models.Industry),
        "industry_categories": load_industry_systems(models.IndustrySystem, models.IndustryCategory),
        "departments": load_departments(models.Department),
        "calendar_days": load_calendar(models.CalendarYear, models.CalendarDay),
    }
