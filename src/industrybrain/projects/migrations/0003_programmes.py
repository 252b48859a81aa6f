from django.db import migrations

from industrybrain.projects import programmes


def load(apps, schema_editor):
    programmes.load(apps.get_model("projects", "Programme"))


class Migration(migrations.Migration):
    dependencies = [("projects", "0002_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
