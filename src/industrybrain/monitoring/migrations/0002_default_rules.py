"""Default 提示函 triggers (mechanisms.md §1): bottom 3 of the peer group, below the province average, behind
target progress — each for 2 consecutive releases — and the default thresholds row."""

from django.db import migrations

RULES = [
    ("同组排名倒数3位连续2个月", "bottom_n"),
    ("低于全省平均连续2个月", "below_average"),
    ("落后目标进度连续2个月", "behind_target"),
]


CONDITIONS = {"bottom_n": "rank_from_bottom <= 3 AND group_size > 3", "below_average": "NOT meets_average",
              "behind_target": "NOT meets_target"}


def _default_rules(rule) -> list:
    if "kind" in {f.name for f in rule._meta.get_fields()}:  # the historical model (migrate)
        return [rule(name=n, kind=k, bottom_n=3, consecutive=2) for n, k in RULES]
    # replayed against the current models (tests/dbdata.py): conditions since 0003
    return [rule(name=n, condition=CONDITIONS[k], consecutive=2) for n, k in RULES]


def seed(apps, schema_editor):
    rule = apps.get_model("monitoring", "TriggerRule")
    if not rule.objects.exists():
        rule.objects.bulk_create(_default_rules(rule))
    apps.get_model("monitoring", "MonitoringConfig").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
