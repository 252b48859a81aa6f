"""The programmes shipped with the platform (mechanisms.md §2: 千项万亿's nine domains, and more)."""

PROGRAMMES: list[tuple[str, str, str]] = [
    # (code, name, kind)
    ("qxwy-manufacturing", "千项万亿·先进制造业基地", "qxwy"),
    ("qxwy-innovation", "千项万亿·科技创新强基", "qxwy"),
    ("qxwy-transport", "千项万亿·交通强省", "qxwy"),
    ("qxwy-energy", "千项万亿·清洁能源保供", "qxwy"),
    ("qxwy-water", "千项万亿·水网提升安澜", "qxwy"),
    ("qxwy-urban", "千项万亿·城镇有机更新", "qxwy"),
    ("qxwy-rural", "千项万亿·农业农村优先", "qxwy"),
    ("qxwy-culture", "千项万亿·文化旅游融合", "qxwy"),
    ("qxwy-livelihood", "千项万亿·民生设施", "qxwy"),
    ("tech-upgrade-demo", "省级技术改造示范项目", "tech_upgrade_demo"),
    ("province-key", "省重点建设项目", "province_key"),
    ("city-key", "市重点项目", "city_key"),
    ("county-key", "县（市、区）重点项目", "county_key"),
    ("investment", "招商引资签约项目", "investment"),
]


def load(Programme) -> int:
    for order, (code, name, kind) in enumerate(PROGRAMMES):
        Programme.objects.update_or_create(code=code, defaults={"name": name, "kind": kind, "order": order,
                                                                "source": "mechanisms.md §2"})
    return len(PROGRAMMES)
