"""The shipped rulebook and penalty notes in Simplified Chinese and Russian.

Fills a language's column only where it is empty and the English still reads as shipped
(cases 0003, 0007): a rule a team lead has reworded keeps its wording, and they add its
translations in the admin. Reversible: going back empties what this filled, again only
where the English is still the shipped text.
"""

from django.db import migrations

# code: (English title as shipped, (zh-hans title, text), (ru title, text))
RULES = {
    "P2P-1.1": (
        "Release after confirmed payment",
        (
            "确认付款后放币",
            "买家证明已在付款时限内、从本人 KYC 实名账户支付了订单全额，且卖家无法证明款项"
            "未到账的，托管中的数字资产放行给买家。",
        ),
        (
            "Передача после подтверждённой оплаты",
            "Если покупатель доказал оплату полной суммы ордера со счёта на своё имя по KYC "
            "в пределах окна оплаты, а продавец не может показать, что деньги не поступили, "
            "криптовалюта из эскроу передаётся покупателю.",
        ),
    ),
    "P2P-1.2": (
        "Seller unresponsive",
        (
            "卖家无响应",
            "买家已证明付款，而卖家在截止时间前未回应申诉或补充证据请求的，卖家败诉：数字资产"
            "放行给买家。",
        ),
        (
            "Продавец не отвечает",
            "Продавец, который не ответил на апелляцию или запрос доказательств к сроку, "
            "когда покупатель доказал оплату, проигрывает апелляцию: криптовалюта "
            "передаётся покупателю.",
        ),
    ),
    "P2P-2.1": (
        "No payment received",
        (
            "未收到付款",
            "买家无法证明已完成付款（银行流水或经银行确认的回单）的，订单取消，数字资产退回卖家。",
        ),
        (
            "Оплата не получена",
            "Если покупатель не может доказать завершённую оплату (банковской выпиской или "
            "квитанцией, подтверждённой банком), ордер отменяется и криптовалюта "
            "возвращается продавцу.",
        ),
    ),
    "P2P-2.2": (
        "Forged or recycled voucher",
        (
            "伪造或重复使用的付款凭证",
            "经过编辑、伪造或已在其他订单上使用过的付款凭证不能证明任何事实。订单取消，数字"
            "资产退回卖家，提交者的账户将被限制或冻结。",
        ),
        (
            "Поддельное или повторно использованное подтверждение оплаты",
            "Подтверждение оплаты, которое отредактировано, подделано или уже "
            "использовалось в другом ордере, ничего не доказывает. Ордер отменяется, "
            "криптовалюта возвращается продавцу, а аккаунт того, кто его прислал, "
            "ограничивается или замораживается.",
        ),
    ),
    "P2P-3.1": (
        "Wrong amount paid",
        (
            "付款金额错误",
            "付款金额与订单金额不符的，订单不算完成。买家补足差额或卖家退还款项；如截止时间前"
            "双方均未处理，订单取消，数字资产退回卖家。",
        ),
        (
            "Оплачена неверная сумма",
            "Оплата, отличающаяся от суммы ордера, не завершает ордер. Покупатель доплачивает "
            "разницу или продавец возвращает платёж; если к сроку не сделано ни то, ни "
            "другое, ордер отменяется и криптовалюта возвращается продавцу.",
        ),
    ),
    "P2P-4.1": (
        "Third-party payment",
        (
            "第三方付款",
            "付款必须来自买家本人 KYC 实名账户。来自他人的付款由卖家原路退回；订单取消，数字"
            "资产退回卖家。再次发生的，限制买家账户。",
        ),
        (
            "Оплата третьим лицом",
            "Оплата должна поступить со счёта на имя покупателя по KYC. Платёж от кого-либо "
            "другого продавец возвращает отправителю; ордер отменяется, криптовалюта "
            "возвращается продавцу. При повторении аккаунт покупателя ограничивается.",
        ),
    ),
    "P2P-5.1": (
        "Chargeback after release",
        (
            "放币后退单",
            "数字资产放行后撤回付款的买家对损失负责：账户冻结，案件移交风控部门追偿。",
        ),
        (
            "Возврат платежа после передачи",
            "Покупатель, отозвавший платёж после передачи криптовалюты, отвечает за убыток: "
            "аккаунт замораживается, дело передаётся риск-отделу для взыскания.",
        ),
    ),
    "P2P-6.1": (
        "Off-platform contact and pressure",
        (
            "平台外联系与施压",
            "诱导对方将沟通或付款转移到平台外，或要求对方在收款前放币，均属违规；行为方将被"
            "警告或限制，订单依据证据裁决。",
        ),
        (
            "Связь вне платформы и давление",
            "Склонять контрагента перенести общение или оплату за пределы платформы или "
            "отпустить криптовалюту до поступления оплаты — нарушение; нарушителю выносится "
            "предупреждение или ограничение, а ордер решается по доказательствам.",
        ),
    ),
    "P2P-6.2": (
        "Impersonation and fraud",
        (
            "冒充与欺诈",
            "冒充客服、交易对方或银行，或以任何欺骗手段获取数字资产或法币的，冻结责任方账户。",
        ),
        (
            "Выдача себя за другого и мошенничество",
            "Выдача себя за поддержку, контрагента или банк, а также любой обман ради "
            "получения криптовалюты или фиата ведёт к заморозке аккаунта виновной стороны.",
        ),
    ),
    "P2P-7.1": (
        "Compromised account",
        (
            "账户被盗",
            "他人盗用账户完成的交易，资金仍在托管中的予以撤销；账户冻结，直至账户所有人重新"
            "完成身份验证。",
        ),
        (
            "Взломанный аккаунт",
            "Сделка, совершённая тем, кто захватил аккаунт, отменяется, если средства ещё в "
            "эскроу; аккаунт замораживается до повторной проверки владельца.",
        ),
    ),
    "P2P-8.1": (
        "Already settled",
        (
            "已自行解决",
            "双方已自行解决订单，或申诉已无实际意义的，申诉关闭，资金不作变动。",
        ),
        (
            "Уже урегулировано",
            "Если стороны урегулировали ордер сами или апелляция потеряла смысл, она "
            "закрывается без перемещения средств.",
        ),
    ),
    "P2P-9.1": (
        "Insufficient evidence from both parties",
        (
            "双方证据均不足",
            "截止时间前双方均未能证明其主张的，订单取消，数字资产退回卖家；买家已证实的付款"
            "（如有）予以退还。",
        ),
        (
            "Недостаточно доказательств от обеих сторон",
            "Если к сроку ни одна сторона не доказала свою позицию, ордер отменяется и "
            "криптовалюта возвращается продавцу; подтверждённый платёж покупателя, если он "
            "был, возвращается.",
        ),
    ),
}

# reason: (English note as shipped, zh-hans, ru)
NOTES = {
    "crypto_not_released": (
        "Seller held crypto after a proven payment.",
        "买家已证明付款，卖家仍扣留数字资产。",
        "Продавец удерживал криптовалюту после доказанной оплаты.",
    ),
    "payment_not_received": (
        "Buyer marked paid without paying.",
        "买家未付款却标记为已付款。",
        "Покупатель отметил оплату, не заплатив.",
    ),
    "third_party_payment": (
        "Triangulation fraud risk: repeat offenders are frozen.",
        "存在三角诈骗风险：再犯者冻结账户。",
        "Риск треугольного мошенничества: повторных нарушителей замораживают.",
    ),
    "chargeback": (
        "Chargebacks after release are fraud.",
        "放币后退单属于欺诈。",
        "Возврат платежа после передачи — мошенничество.",
    ),
    "fraud_scam": (
        "Forged vouchers, impersonation.",
        "伪造付款凭证、冒充他人。",
        "Поддельные подтверждения оплаты, выдача себя за другого.",
    ),
    "account_compromised": (
        "Frozen until the owner passes KYC again.",
        "冻结至账户所有人重新通过 KYC 验证。",
        "Заморожен, пока владелец повторно не пройдёт KYC.",
    ),
}


def fill(apps, schema_editor):
    Rule = apps.get_model("cases", "Rule")
    PenaltyRule = apps.get_model("cases", "PenaltyRule")
    for code, (english, (zh_title, zh_text), (ru_title, ru_text)) in RULES.items():
        rule = Rule.objects.filter(code=code, title_en=english).first()
        if rule is None:
            continue
        for field, value in (
            ("title_zh_hans", zh_title),
            ("text_zh_hans", zh_text),
            ("title_ru", ru_title),
            ("text_ru", ru_text),
        ):
            if not getattr(rule, field):
                setattr(rule, field, value)
        rule.save()
    for reason, (english, zh, ru) in NOTES.items():
        note = PenaltyRule.objects.filter(reason=reason, note_en=english).first()
        if note is None:
            continue
        note.note_zh_hans = note.note_zh_hans or zh
        note.note_ru = note.note_ru or ru
        note.save()


def empty(apps, schema_editor):
    Rule = apps.get_model("cases", "Rule")
    PenaltyRule = apps.get_model("cases", "PenaltyRule")
    for code, (english, _zh, _ru) in RULES.items():
        Rule.objects.filter(code=code, title_en=english).update(
            title_zh_hans=None, text_zh_hans=None, title_ru=None, text_ru=None
        )
    for reason, (english, _zh, _ru) in NOTES.items():
        PenaltyRule.objects.filter(reason=reason, note_en=english).update(
            note_zh_hans=None, note_ru=None
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0023_stored_translations")]

    operations = [migrations.RunPython(fill, empty)]
