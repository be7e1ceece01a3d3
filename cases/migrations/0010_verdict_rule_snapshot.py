"""A verdict keeps the rule's code, title and text as they were when it was decided.

Verdicts decided before this migration get the rule as it reads now: the closest record
there is (the rulebook was not versioned before)."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def snapshot(apps, schema_editor):
    Verdict = apps.get_model("cases", "Verdict")
    Rule = apps.get_model("cases", "Rule")
    rule = Rule.objects.filter(pk=OuterRef("rule_id"))
    Verdict.objects.filter(rule_code="").update(
        rule_code=Subquery(rule.values("code")[:1]),
        rule_title=Subquery(rule.values("title")[:1]),
        rule_text=Subquery(rule.values("text")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0009_sources_and_desk_messages")]

    operations = [
        migrations.AddField(
            model_name="verdict",
            name="rule_code",
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.AddField(
            model_name="verdict",
            name="rule_title",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="verdict",
            name="rule_text",
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(snapshot, migrations.RunPython.noop),
    ]
