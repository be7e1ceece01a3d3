"""Machine clients live in a group of their own, so the API (and the admin) can tell a
service account from a staff user. It is deliberately not one of the staff roles."""

from __future__ import annotations

from django.db import migrations


def create(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="service_account")


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="service_account").delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_default_rulebook")]

    operations = [migrations.RunPython(create, remove)]
