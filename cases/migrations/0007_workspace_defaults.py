"""Backfill the appeal's queue columns from its order, and ship the desk's default
working tools: canned replies (English, Chinese, Russian), the penalty matrix and the
chat keyword watchlist. Team leads edit all three in the admin."""

from __future__ import annotations

from django.db import migrations
from django.db.models import OuterRef, Subquery

REPLIES = {
    "evidence_request": {
        "en": (
            "Evidence request",
            "Dear {party_name}, to decide order {order} ({amount} {asset}) we need {what}. "
            "Please upload it in the appeal before {deadline}. If nothing arrives by then, "
            "the appeal will be decided on the evidence we have.",
        ),
        "zh-hans": (
            "补充证据请求",
            "{party_name}，您好。为处理订单 {order}（{amount} {asset}），请提供：{what}。"
            "请在 {deadline} 之前在申诉中上传。逾期未提交，我们将根据现有证据作出裁决。",
        ),
        "ru": (
            "Запрос доказательств",
            "{party_name}, для решения по ордеру {order} ({amount} {asset}) нам нужно: {what}. "
            "Загрузите, пожалуйста, в апелляцию до {deadline}. Если к этому сроку ничего не "
            "поступит, решение будет принято по имеющимся доказательствам.",
        ),
    },
    "stay_on_platform": {
        "en": (
            "Stay on the platform",
            "Dear {party_name}, for your safety please keep all communication about order "
            "{order} in the order chat. We never ask you to move to Telegram, WhatsApp or "
            "WeChat, and messages outside the platform cannot be used as evidence.",
        ),
        "zh-hans": (
            "请在平台内沟通",
            "{party_name}，您好。为保障您的资金安全，关于订单 {order} 的所有沟通请在订单聊天中进行。"
            "我们不会要求您转到微信、Telegram 或 WhatsApp，平台外的消息不能作为证据。",
        ),
        "ru": (
            "Оставайтесь на платформе",
            "{party_name}, ради вашей безопасности ведите всё общение по ордеру {order} в чате "
            "ордера. Мы никогда не просим перейти в Telegram, WhatsApp или WeChat; сообщения "
            "вне платформы не принимаются как доказательства.",
        ),
    },
    "under_review": {
        "en": (
            "Appeal under review",
            "Dear {party_name}, your appeal on order {order} is being reviewed by an "
            "arbitrator. The {amount} {asset} stay safely in escrow until a decision.",
        ),
        "zh-hans": (
            "申诉处理中",
            "{party_name}，您好。您在订单 {order} 上的申诉正在由仲裁员审核，"
            "{amount} {asset} 将安全冻结在托管中直至裁决。",
        ),
        "ru": (
            "Апелляция на рассмотрении",
            "{party_name}, ваша апелляция по ордеру {order} рассматривается арбитром. "
            "{amount} {asset} надёжно заблокированы в эскроу до решения.",
        ),
    },
}

PENALTIES = [
    # reason, first action, days, repeat action, days, note
    (
        "crypto_not_released",
        "warning",
        None,
        "p2p_restriction",
        7,
        "Seller held crypto after a proven payment.",
    ),
    (
        "payment_not_received",
        "p2p_restriction",
        3,
        "p2p_restriction",
        30,
        "Buyer marked paid without paying.",
    ),
    ("wrong_amount", "warning", None, "p2p_restriction", 7, ""),
    (
        "third_party_payment",
        "p2p_restriction",
        7,
        "freeze",
        None,
        "Triangulation fraud risk: repeat offenders are frozen.",
    ),
    ("chargeback", "freeze", None, "freeze", None, "Chargebacks after release are fraud."),
    ("fraud_scam", "freeze", None, "freeze", None, "Forged vouchers, impersonation."),
    (
        "account_compromised",
        "freeze",
        None,
        "freeze",
        None,
        "Frozen until the owner passes KYC again.",
    ),
    ("other", "", None, "warning", None, ""),
]

KEYWORDS = [
    ("telegram", "off_platform"),
    ("whatsapp", "off_platform"),
    ("wechat", "off_platform"),
    ("微信", "off_platform"),
    ("加我", "off_platform"),
    ("телеграм", "off_platform"),
    ("ватсап", "off_platform"),
    ("signal app", "off_platform"),
    ("+86", "off_platform"),
    ("release first", "pressure"),
    ("先放币", "pressure"),
    ("отпусти сначала", "pressure"),
    ("police", "pressure"),
    ("cancel the order", "pressure"),
    ("edited", "fraud"),
    ("fake receipt", "fraud"),
    ("refund", "fraud"),
]


def forwards(apps, schema_editor):
    Appeal = apps.get_model("cases", "Appeal")
    Order = apps.get_model("cases", "Order")
    order = Order.objects.filter(pk=OuterRef("order_id"))
    Appeal.objects.update(
        crypto_amount=Subquery(order.values("crypto_amount")[:1]),
        asset=Subquery(order.values("asset")[:1]),
        payment_method=Subquery(order.values("payment_method")[:1]),
        buyer_language=Subquery(order.values("buyer__language")[:1]),
        seller_language=Subquery(order.values("seller__language")[:1]),
    )
    CannedReply = apps.get_model("cases", "CannedReply")
    for key, languages in REPLIES.items():
        for language, (title, text) in languages.items():
            CannedReply.objects.update_or_create(
                key=key, language=language, defaults={"title": title, "text": text}
            )
    PenaltyRule = apps.get_model("cases", "PenaltyRule")
    for reason, first, first_days, repeat, repeat_days, note in PENALTIES:
        PenaltyRule.objects.update_or_create(
            reason=reason,
            defaults={
                "first_action": first,
                "first_days": first_days,
                "repeat_action": repeat,
                "repeat_days": repeat_days,
                "note": note,
            },
        )
    WatchKeyword = apps.get_model("cases", "WatchKeyword")
    for term, category in KEYWORDS:
        WatchKeyword.objects.get_or_create(term=term, defaults={"category": category})


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_workspace")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
