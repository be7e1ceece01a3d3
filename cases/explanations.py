"""Plain-language verdict explanations for the parties, in their language."""

from __future__ import annotations

from .languages import language_key
from .models import Verdict

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
