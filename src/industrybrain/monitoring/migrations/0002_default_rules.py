"""Default 提示函 triggers (mechanisms.md §1): bottom 3 of the peer group, below the province average, behind
target progress — each for 2 consecutive releases — and the default thresholds row."""

from django.db import migrations

RULES = [
    ("同组排名倒数3位连续2个月", "bottom_n"),
    ("低于全省平均连续2个月", "below_average"),
    ("落后目标进度连续2个月", "behind_target"),
]


def seed(apps, schema_editor):
    rule = apps.get_model("monitoring", "TriggerRule")
    if not rule.objects.exists():
        rule.objects.bulk_create([rule(name=n, kind=k, bottom_n=3, consecutive=2) for n, k in RULES])
    apps.get_model("monitoring", "MonitoringConfig").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
