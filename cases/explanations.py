"""Plain-language verdict explanations for the parties, in their language."""

from __future__ import annotations

from django.utils import translation

from .languages import language_key
from .models import Verdict, VerdictReview

EXPLANATIONS = {
    "en": {
        "release_to_buyer": "The {amount} {asset} held in escrow for order {order} are released "
        "to the buyer.",
        "return_to_seller": "Order {order} is cancelled and the {amount} {asset} held in escrow "
        "return to the seller.",
        "no_action": "The appeal on order {order} is closed; no funds move.",
        "why": "Decided under rule {rule} ({title}): {rule_text}",
        "you_won": "Your appeal was upheld.",
        "you_lost": "Your appeal was not upheld.",
    },
    "zh-hans": {
        "release_to_buyer": "订单 {order} 托管中的 {amount} {asset} 已放行给买家。",
        "return_to_seller": "订单 {order} 已取消，托管中的 {amount} {asset} 已退回卖家。",
        "no_action": "订单 {order} 的申诉已关闭，资金不作变动。",
        "why": "依据规则 {rule}（{title}）裁决：{rule_text}",
        "you_won": "您的申诉已获支持。",
        "you_lost": "您的申诉未获支持。",
    },
    "ru": {
        "release_to_buyer": "{amount} {asset} из эскроу по ордеру {order} переданы покупателю.",
        "return_to_seller": "Ордер {order} отменён, {amount} {asset} из эскроу возвращены "
        "продавцу.",
        "no_action": "Апелляция по ордеру {order} закрыта, средства не перемещаются.",
        "why": "Решение по правилу {rule} ({title}): {rule_text}",
        "you_won": "Ваша апелляция удовлетворена.",
        "you_lost": "Ваша апелляция не удовлетворена.",
    },
}


def verdict_explain(verdict: Verdict, party: str, language: str = "") -> str:
    """A plain-language explanation of a verdict for one party, entirely in their
    language, the rule's title and text included."""
    language = language_key(language)
    if language not in EXPLANATIONS:
        language = "en"
    texts = EXPLANATIONS[language]
    appeal, order = verdict.appeal, verdict.appeal.order
    # The rule in the party's language while it reads as cited (Verdict.cited_rule).
    title, rule_text = verdict.cited_rule(language)
    # The amount frozen on the appeal: an explanation read a year later says the amount
    # the parties were told then.
    values = {
        "amount": format(appeal.crypto_amount.normalize(), "f"),
        "asset": appeal.asset,
        "order": order.external_id,
        "rule": verdict.rule_code,
        "title": title,
        "rule_text": rule_text,
    }
    lines = []
    if party == appeal.opened_by:
        lines.append(texts["you_won"] if verdict.appellant_won else texts["you_lost"])
    lines.append(texts[verdict.outcome].format(**values))
    lines.append(texts["why"].format(**values))
    # Chinese runs sentences together; the others put a space between them.
    return ("" if language == "zh-hans" else " ").join(lines)


# What a second-level review decided, for each party (the verdict's own explanation
# was sent when it took effect; funds already moved are not moved again).
REVIEW_EXPLANATIONS = {
    "en": {
        "upheld": "The review of the verdict on order {order} is complete: the verdict stands.",
        "reversed": "On review, the verdict on order {order} is reversed. The corrected "
        "decision: {outcome}. Funds already moved are not moved again; the exchange "
        "settles the difference with the party concerned.",
    },
    "zh-hans": {
        "upheld": "订单 {order} 裁决的复核已完成：原裁决维持不变。",
        "reversed": "经复核，订单 {order} 的裁决被撤销。更正后的裁决：{outcome}。"
        "已转移的资金不会再次转移；交易所将与相关方结算差额。",
    },
    "ru": {
        "upheld": "Пересмотр решения по ордеру {order} завершён: решение остаётся в силе.",
        "reversed": "При пересмотре решение по ордеру {order} отменено. Исправленное "
        "решение: {outcome}. Уже переведённые средства повторно не переводятся; биржа "
        "урегулирует разницу с затронутой стороной.",
    },
}


def review_explain(review: VerdictReview, language: str = "") -> str:
    """What the review decided (upheld, or reversed with the corrected outcome), entirely
    in the party's language."""
    language = language_key(language)
    if language not in REVIEW_EXPLANATIONS:
        language = "en"
    texts = REVIEW_EXPLANATIONS[language]
    order = review.appeal.order.external_id
    if review.state == VerdictReview.State.UPHELD:
        return texts["upheld"].format(order=order)
    with translation.override(language):
        outcome = str(Verdict.Outcome(review.corrected_outcome).label).lower()
    return texts["reversed"].format(order=order, outcome=outcome)
