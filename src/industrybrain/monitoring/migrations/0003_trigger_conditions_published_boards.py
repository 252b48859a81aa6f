"""Trigger rules become conditions of the shared rules language (triggers.REGION_RELEASE); hits keep the
condition and the values used; published ranking boards are stored.

Existing rules are converted: bottom_n (N) → `rank_from_bottom <= N AND group_size > N` (the old test: the
group has more than N members and the rank is among the last N), below_average → `NOT meets_average`,
behind_target → `NOT meets_target`. Same hits as before (golden tests in tests/monitoring/test_triggers.py).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def condition_of(kind: str, bottom_n: int) -> str:
    if kind == "bottom_n":
        return f"rank_from_bottom <= {bottom_n} AND group_size > {bottom_n}"
    if kind == "below_average":
        return "NOT meets_average"
    return "NOT meets_target"


def kinds_to_conditions(apps, schema_editor):
    rule = apps.get_model("monitoring", "TriggerRule")
    if "kind" not in {f.name for f in rule._meta.get_fields()}:
        return  # replayed against the current models (tests/dbdata.py): 0002 already wrote conditions
    for row in rule.objects.filter(condition=""):
        row.condition = condition_of(row.kind, row.bottom_n)
        row.save(update_fields=["condition"])


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0004_importjob_started_at'),
        ('indicators', '0002_catalogue'),
        ('monitoring', '0002_default_rules'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='triggerhit',
            name='condition',
            field=models.TextField(blank=True, help_text='运行时规则的条件原文', verbose_name='触发条件'),
        ),
        migrations.AddField(
            model_name='triggerhit',
            name='evidence',
            field=models.JSONField(blank=True, default=list, help_text='每期发布：期别及条件读取的字段值', verbose_name='判定所用数据'),
        ),
        migrations.AddField(
            model_name='triggerrule',
            name='condition',
            field=models.TextField(default='', help_text='规则语言表达式，字段见本页“可用字段”，例如 rank_from_bottom <= 3', max_length=4000, verbose_name='触发条件'),
            preserve_default=False,
        ),
        migrations.RunPython(kinds_to_conditions, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='triggerrule',
            name='bottom_n',
        ),
        migrations.RemoveField(
            model_name='triggerrule',
            name='kind',
        ),
        migrations.AddField(
            model_name='triggerrule',
            name='description',
            field=models.TextField(blank=True, verbose_name='说明'),
        ),
        migrations.AddField(
            model_name='triggerrule',
            name='updated_at',
            field=models.DateTimeField(auto_now=True, null=True, verbose_name='更新时间'),
        ),
        migrations.AlterField(
            model_name='triggerrule',
            name='consecutive',
            field=models.PositiveSmallIntegerField(default=2, help_text='条件须在最近连续几期发布中均成立（1–12）', verbose_name='连续发布期数'),
        ),
        migrations.CreateModel(
            name='PublishedBoard',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(verbose_name='年度')),
                ('month', models.PositiveSmallIntegerField(verbose_name='月份')),
                ('level', models.CharField(choices=[('city', '设区市'), ('county', '县（市、区）')], max_length=10, verbose_name='层级')),
                ('version', models.PositiveSmallIntegerField(default=1, verbose_name='版本')),
                ('indicator_label', models.CharField(blank=True, max_length=120, verbose_name='指标名称')),
                ('province_value', models.DecimalField(blank=True, decimal_places=4, max_digits=18, null=True, verbose_name='全省平均')),
                ('average_source', models.CharField(blank=True, max_length=10, verbose_name='平均值来源')),
                ('previous_period', models.CharField(blank=True, max_length=7, verbose_name='上期')),
                ('note', models.CharField(blank=True, max_length=200, verbose_name='发布说明')),
                ('published_at', models.DateTimeField(auto_now_add=True, verbose_name='发布时间')),
                ('indicator', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='indicators.indicator', verbose_name='指标')),
                ('province', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.region', verbose_name='省份')),
                ('published_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='发布人')),
            ],
            options={
                'verbose_name': '已发布晾晒榜单',
                'verbose_name_plural': '已发布晾晒榜单',
                'ordering': ['-year', '-month', 'indicator', 'level', '-version'],
            },
        ),
        migrations.CreateModel(
            name='PublishedBoardRow',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveSmallIntegerField(verbose_name='顺序')),
                ('region_name', models.CharField(max_length=60, verbose_name='地区')),
                ('group', models.CharField(max_length=40, verbose_name='比较组')),
                ('value', models.DecimalField(blank=True, decimal_places=4, max_digits=18, null=True, verbose_name='数值')),
                ('rank', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='排名')),
                ('group_size', models.PositiveSmallIntegerField(default=0, verbose_name='组内地区数')),
                ('previous_rank', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='上期排名')),
                ('rank_change', models.SmallIntegerField(blank=True, null=True, verbose_name='排名变化')),
                ('meets_average', models.BooleanField(blank=True, null=True, verbose_name='好于全省平均')),
                ('meets_target', models.BooleanField(blank=True, null=True, verbose_name='达到目标')),
                ('target_text', models.CharField(blank=True, max_length=80, verbose_name='目标')),
                ('status', models.CharField(blank=True, max_length=10, verbose_name='晾晒状态')),
                ('board', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='rows', to='monitoring.publishedboard', verbose_name='榜单')),
                ('region', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.region', verbose_name='区划')),
            ],
            options={
                'verbose_name': '已发布榜单行',
                'verbose_name_plural': '已发布榜单行',
                'ordering': ['board', 'position'],
            },
        ),
        migrations.AddConstraint(
            model_name='publishedboard',
            constraint=models.UniqueConstraint(fields=('indicator', 'year', 'month', 'level', 'province', 'version'), name='uniq_published_board'),
        ),
        migrations.AddConstraint(
            model_name='publishedboardrow',
            constraint=models.UniqueConstraint(fields=('board', 'region'), name='uniq_published_board_row'),
        ),
    ]
