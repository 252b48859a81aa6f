"""Alert rules of the shared rules language replace the AlertThresholds row.

The four checks become default AlertRule rows whose conditions carry the thresholds of the existing
AlertThresholds row (or the defaults); open alerts are linked to their rule, their former value/threshold
pair is kept in `values`, and their keys take the new form <rule>:<project>:<list>. The rule texts are
copied here (not imported) so this migration stays the same when the code moves on.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

STAGE_LIMITS = {"signed": 120, "land_acquired": 120, "started": 60, "under_construction": 500, "completed": 120}


def rules(behind_points, grace, limits):
    too_long = " ".join(f"WHEN stage = '{stage}' THEN {days}" for stage, days in limits.items() if days)
    return [
        ("stage_overdue", "计划节点逾期", "stage_overdue", "project", "warning", 10,
         f"COALESCE(next_stage_days_overdue, next_stage_calendar_days_overdue) > {grace}",
         "{name}：计划{next_stage_planned_on}{next_stage}，已逾期{next_stage_days_overdue}个工作日仍未进入{next_stage}清单",
         "下一清单的计划日期已过（按工作日）而项目仍未进入该清单。"),
        ("behind_time_progress", "投资落后时间进度", "behind_time_progress", "project", "warning", 20,
         f"stage <> 'in_production' AND progress_gap_points < -{behind_points}",
         "{name}：投资完成率{completion_rate}%，{progress_phrase}",
         "本年投资完成率落后时间进度超过阈值（百分点）；已投产项目不查。"),
        ("start_rate_below_curve", "开工率低于序时要求", "start_rate_below_curve", "programme_city", "warning", 30,
         "CASE WHEN checkpoint_month = 3 THEN start_rate < 30 WHEN checkpoint_month = 6 THEN start_rate <= 60 "
         "WHEN checkpoint_month = 9 THEN start_rate <= 85 WHEN checkpoint_month = 10 THEN start_rate < 100 END",
         "{city_name}{programme_name}：截至{checkpoint_on}开工率{start_rate}%（{started_by_checkpoint}/{planned_to_start}），"
         "未达到“{curve_label}”",
         "一季度末开工率达到30%、二季度末超过60%、三季度末超过85%、10月底前全部实质性开工。"),
        ("stage_too_long", "清单停留超时", "stage_too_long", "project", "notice", 40,
         f"working_days_in_stage > CASE {too_long} END",
         "{name}：已在{stage}清单停留{working_days_in_stage}个工作日",
         "在一张清单停留的工作日超过该清单的上限（投产清单不查）。"),
    ]


def _number(value):
    text = format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)
    return text


def seed(apps, schema_editor):
    AlertRule = apps.get_model("projects", "AlertRule")
    ProjectAlert = apps.get_model("projects", "ProjectAlert")
    behind, grace, limits = 10, 0, dict(STAGE_LIMITS)
    try:  # replayed against the current models (tests/dbdata.py) the old model is gone: defaults
        thresholds = apps.get_model("projects", "AlertThresholds").objects.order_by("pk").first()
    except LookupError:
        thresholds = None
    if thresholds is not None:
        behind, grace = _number(thresholds.behind_points), thresholds.overdue_grace_working_days
        limits = {stage: getattr(thresholds, f"max_days_{stage}") for stage in STAGE_LIMITS}
    by_code = {}
    for code, name, kind, subject, severity, order, condition, message, description in rules(behind, grace, limits):
        by_code[code], _ = AlertRule.objects.get_or_create(code=code, defaults={
            "name": name, "kind": kind, "subject": subject, "severity": severity, "order": order,
            "condition": condition, "message": message, "description": description, "enabled": True})
    if "value" not in {f.name for f in ProjectAlert._meta.get_fields()}:
        return
    for alert in ProjectAlert.objects.select_related("project"):
        alert.rule = by_code.get(alert.kind)
        alert.values = {k: str(v) for k, v in (("value", alert.value), ("threshold", alert.threshold)) if v is not None}
        if alert.status == "open" and alert.project_id and alert.kind != "start_rate_below_curve":
            alert.key = f"{alert.kind}:{alert.project_id}:{alert.project.stage}"
        alert.save(update_fields=["rule", "values", "key"])


class Migration(migrations.Migration):

    dependencies = [
        ('projects', '0003_programmes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AlertRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.SlugField(max_length=40, unique=True, verbose_name='规则代码')),
                ('name', models.CharField(max_length=60, verbose_name='规则名称')),
                ('kind', models.CharField(choices=[('stage_overdue', '计划节点逾期'), ('behind_time_progress', '投资落后时间进度'), ('start_rate_below_curve', '开工率低于序时要求'), ('stage_too_long', '清单停留超时'), ('other', '其他预警')], default='other', max_length=30, verbose_name='预警类型')),
                ('subject', models.CharField(choices=[('project', '重大项目'), ('programme_city', '计划类别×设区市')], default='project', max_length=20, verbose_name='检查对象')),
                ('condition', models.TextField(help_text='满足条件即预警；数据不足（未知）时不预警', verbose_name='预警条件')),
                ('message', models.CharField(blank=True, help_text='用 {字段代码} 引用字段的值，如 {name}：已逾期{next_stage_days_overdue}个工作日；留空则由条件用到的字段名称和数值自动生成', max_length=300, verbose_name='预警消息模板')),
                ('severity', models.CharField(choices=[('notice', '提示'), ('warning', '预警'), ('serious', '严重')], default='warning', max_length=10, verbose_name='预警级别')),
                ('enabled', models.BooleanField(default=True, verbose_name='启用')),
                ('order', models.PositiveSmallIntegerField(default=100, verbose_name='排序')),
                ('description', models.TextField(blank=True, verbose_name='说明')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='修改人')),
            ],
            options={
                'verbose_name': '项目预警规则',
                'verbose_name_plural': '项目预警规则',
                'ordering': ['order', 'code'],
            },
        ),
        migrations.AddField(
            model_name='projectalert',
            name='condition',
            field=models.TextField(blank=True, verbose_name='判定条件'),
        ),
        migrations.AddField(
            model_name='projectalert',
            name='severity',
            field=models.CharField(choices=[('notice', '提示'), ('warning', '预警'), ('serious', '严重')], default='warning', max_length=10, verbose_name='预警级别'),
        ),
        migrations.AddField(
            model_name='projectalert',
            name='values',
            field=models.JSONField(blank=True, default=dict, verbose_name='判定所用数值'),
        ),
        migrations.AlterField(
            model_name='projectalert',
            name='kind',
            field=models.CharField(choices=[('stage_overdue', '计划节点逾期'), ('behind_time_progress', '投资落后时间进度'), ('start_rate_below_curve', '开工率低于序时要求'), ('stage_too_long', '清单停留超时'), ('other', '其他预警')], max_length=30, verbose_name='预警类型'),
        ),
        migrations.AddField(
            model_name='projectalert',
            name='rule',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='alerts', to='projects.alertrule', verbose_name='预警规则'),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='projectalert',
            name='threshold',
        ),
        migrations.RemoveField(
            model_name='projectalert',
            name='value',
        ),
        migrations.DeleteModel(
            name='AlertThresholds',
        ),
    ]
