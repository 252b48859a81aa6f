"""Load GB/T 2260 regions, GB/T 4754-2017 industries, industry systems, departments and the calendar."""

from django.db import migrations

from industrybrain.core import reference_data


def load(apps, schema_editor):
    get = apps.get_model
    reference_data.load_regions(get("core", "Region"))
    reference_data.load_industries(get("core", "Industry"))
    reference_data.load_industry_systems(get("core", "IndustrySystem"), get("core", "IndustryCategory"))
    reference_data.load_departments(get("core", "Department"))
    reference_data.load_calendar(get("core", "CalendarYear"), get("core", "CalendarDay"))


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
