"""Stored texts kept per language (django-modeltranslation): each field below gets a
column per language in settings.MODELTRANSLATION_LANGUAGES (`title_en`, `title_zh_hans`,
`title_ru`...). Reading `rule.title` gives the active language's text, or the English
one when that is empty; code that must have one language reads `title_<lang>` or runs
under `translation.override(language)` (messages to a party: cases.explanations,
cases.replies)."""

from __future__ import annotations

from modeltranslation.translator import TranslationOptions, register
from modeltranslation.utils import get_translation_fields

from .models import CannedReply, PenaltyRule, Rule


@register(Rule)
class RuleTranslation(TranslationOptions):
    fields = ("title", "text")
    # English is the source: the verdict snapshot and the API read it (Rule.citation).
    required_languages = ("en",)


@register(CannedReply)
class CannedReplyTranslation(TranslationOptions):
    fields = ("title", "text")
    required_languages = ("en",)


@register(PenaltyRule)
class PenaltyRuleTranslation(TranslationOptions):
    fields = ("note",)


def localized(*names: str) -> list[str]:
    """Each field's per-language column names, `title` -> `title_en`, `title_zh_hans`...:
    what an audit compares, so an edit of one language's text is seen and recorded."""
    return get_translation_fields(*names)
