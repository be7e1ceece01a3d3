"""Stored texts per language (django-modeltranslation, cases/translation.py): the
rulebook's titles and texts, canned replies and penalty notes get a column per language.

Canned replies were one row per (key, language); they become one row per key with the
title and text of each language, the English row's id kept (the other languages' rows
are folded into it and removed), and `key` alone is unique. Reversible: going back
splits each reply into a row per language that has a text.
"""

from django.db import migrations, models

LANGUAGES = {"en": "en", "zh-hans": "zh_hans", "ru": "ru"}


def fold(apps, schema_editor):
    Rule = apps.get_model("cases", "Rule")
    PenaltyRule = apps.get_model("cases", "PenaltyRule")
    CannedReply = apps.get_model("cases", "CannedReply")
    Rule.objects.update(title_en=models.F("title"), text_en=models.F("text"))
    PenaltyRule.objects.update(note_en=models.F("note"))
    by_key = {}
    for reply in CannedReply.objects.order_by("key", "id"):
        by_key.setdefault(reply.key, {})[reply.language] = reply
    for rows in by_key.values():
        keep = rows.get("en") or next(iter(rows.values()))
        for language, suffix in LANGUAGES.items():
            row = rows.get(language)
            if language == "en":
                row = keep
            if row is not None:
                setattr(keep, f"title_{suffix}", row.title)
                setattr(keep, f"text_{suffix}", row.text)
        # The reply is on while any of its languages was.
        keep.active = any(r.active for r in rows.values())
        keep.title, keep.text = keep.title_en, keep.text_en
        keep.save()
        CannedReply.objects.filter(key=keep.key).exclude(pk=keep.pk).delete()


def unfold(apps, schema_editor):
    Rule = apps.get_model("cases", "Rule")
    PenaltyRule = apps.get_model("cases", "PenaltyRule")
    CannedReply = apps.get_model("cases", "CannedReply")
    Rule.objects.exclude(title_en=None).update(title=models.F("title_en"))
    Rule.objects.exclude(text_en=None).update(text=models.F("text_en"))
    PenaltyRule.objects.exclude(note_en=None).update(note=models.F("note_en"))
    for reply in CannedReply.objects.all():
        for language, suffix in LANGUAGES.items():
            title = getattr(reply, f"title_{suffix}")
            text = getattr(reply, f"text_{suffix}")
            if language == "en":
                reply.language = "en"
                reply.title, reply.text = title or reply.title, text or reply.text
                reply.save()
            elif text:
                CannedReply.objects.create(
                    key=reply.key,
                    language=language,
                    title=title or reply.title,
                    text=text,
                    active=reply.active,
                )


class Migration(migrations.Migration):
    dependencies = [("cases", "0022_desk_message_verdict")]

    operations = [
        migrations.AddField(
            model_name="cannedreply",
            name="text_en",
            field=models.TextField(null=True),
        ),
        migrations.AddField(
            model_name="cannedreply",
            name="text_ru",
            field=models.TextField(null=True),
        ),
        migrations.AddField(
            model_name="cannedreply",
            name="text_zh_hans",
            field=models.TextField(null=True),
        ),
        migrations.AddField(
            model_name="cannedreply",
            name="title_en",
            field=models.CharField(max_length=120, null=True),
        ),
        migrations.AddField(
            model_name="cannedreply",
            name="title_ru",
            field=models.CharField(max_length=120, null=True),
        ),
        migrations.AddField(
            model_name="cannedreply",
            name="title_zh_hans",
            field=models.CharField(max_length=120, null=True),
        ),
        migrations.AddField(
            model_name="penaltyrule",
            name="note_en",
            field=models.CharField(blank=True, max_length=300, null=True),
        ),
        migrations.AddField(
            model_name="penaltyrule",
            name="note_ru",
            field=models.CharField(blank=True, max_length=300, null=True),
        ),
        migrations.AddField(
            model_name="penaltyrule",
            name="note_zh_hans",
            field=models.CharField(blank=True, max_length=300, null=True),
        ),
        migrations.AddField(
            model_name="rule",
            name="text_en",
            field=models.TextField(null=True),
        ),
        migrations.AddField(
            model_name="rule",
            name="text_ru",
            field=models.TextField(null=True),
        ),
        migrations.AddField(
            model_name="rule",
            name="text_zh_hans",
            field=models.TextField(null=True),
        ),
        migrations.AddField(
            model_name="rule",
            name="title_en",
            field=models.CharField(max_length=200, null=True),
        ),
        migrations.AddField(
            model_name="rule",
            name="title_ru",
            field=models.CharField(max_length=200, null=True),
        ),
        migrations.AddField(
            model_name="rule",
            name="title_zh_hans",
            field=models.CharField(max_length=200, null=True),
        ),
        migrations.RunPython(fold, unfold),
        migrations.RemoveConstraint(
            model_name="cannedreply",
            name="canned_reply_unique",
        ),
        # A default first, so that going back can add the column to the folded rows.
        migrations.AlterField(
            model_name="cannedreply",
            name="language",
            field=models.CharField(default="en", max_length=16),
        ),
        migrations.RemoveField(
            model_name="cannedreply",
            name="language",
        ),
        migrations.AlterField(
            model_name="cannedreply",
            name="key",
            field=models.SlugField(max_length=64, unique=True),
        ),
        migrations.AlterModelOptions(
            name="cannedreply",
            options={"ordering": ["key"], "verbose_name_plural": "canned replies"},
        ),
    ]
