"""What each rule's text allows a verdict citing it to decide (Rule.outcomes and
Rule.responsible), filled in for the shipped rulebook; the parties are sent the rule's
text as the reason, so a verdict it contradicts is refused."""

from django.db import migrations, models

REL, RET, NONE_ = "release_to_buyer", "return_to_seller", "no_action"
ANY: list[str] = []
PARTIES = ["buyer", "seller", "both"]
# code: (outcomes, responsible parties), read from each rule's text (0003).
SHIPPED = {
    "P2P-1.1": ([REL], ["seller", "none"]),
    "P2P-1.2": ([REL], ["seller"]),
    "P2P-2.1": ([RET], ANY),
    "P2P-2.2": ([RET], PARTIES),
    "P2P-3.1": ([REL, RET], ANY),
    "P2P-4.1": ([RET], ["buyer", "none"]),
    "P2P-5.1": ([NONE_, RET], ["buyer"]),
    "P2P-6.1": (ANY, PARTIES),
    "P2P-6.2": (ANY, PARTIES),
    "P2P-7.1": ([RET, NONE_], ANY),
    "P2P-8.1": ([NONE_], ANY),
    "P2P-9.1": ([RET], ANY),
}


def fill(apps, schema_editor):
    Rule = apps.get_model("cases", "Rule")
    for code, (outcomes, responsible) in SHIPPED.items():
        Rule.objects.filter(code=code).update(outcomes=outcomes, responsible=responsible)


class Migration(migrations.Migration):
    dependencies = [("cases", "0025_queue_search_indexes")]

    operations = [
        migrations.AddField(
            model_name="rule",
            name="outcomes",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="rule",
            name="responsible",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
