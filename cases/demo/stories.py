"""The demo's hand-written appeal stories.

Each story is one kind of dispute as the desk sees it: the chat that led to it (in the
parties' language), the appellant's description, the files each side uploads, what the
arbitrator asks for, the internal notes and the verdict the rulebook gives. The seeder
rotates them over different traders, amounts, payment methods and dates.

Placeholders in texts: {buyer} {seller} (nicknames), {buyer_name} {seller_name} (KYC
names), {money} {paid_money} {diff_money} (fiat, formatted), {crypto} {asset}, {method},
{bank}, {ref}, {order}, {time} {date} (the payment, payer's local time), {payer} (name on
a third-party payment), {days} (days between release and a chargeback), and the
off-platform contacts {tg} {phone} {wx} {card4}.

Chat lines are (minute, sender, text): a minute >= 0 counts from the order's creation, a
negative one back from the appeal's opening. Texts starting with "@" are system messages.

Patterns planted for the risk engine (later issues must detect them):
- payer_name_mismatch: the third_party_payment stories (en-company-account, zh-sister-paid,
  ru-wife-card) upload vouchers/statements whose payer (Evidence.payer_name) is not the
  buyer's KYC name;
- off_platform_contact: en-seller-off-platform, en-fake-support, zh-wechat-off-platform and
  ru-telegram push the other party to Telegram/WhatsApp/WeChat with handles and phone
  numbers ("@handle", "+44 7700 900123", "加我微信", "пиши в телеграм");
- duplicate_voucher and linked_accounts: the recycled-voucher ring, RING_STORY below and
  DemoSeeder._plan_ring in seed.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from cases.models import AccountAction, Appeal, Party, Verdict

R = Appeal.Reason
OUT = Verdict.Outcome
P = Verdict.ResponsibleParty
BUYER, SELLER, SYSTEM = Party.BUYER.value, Party.SELLER.value, "system"
WARN = (AccountAction.Kind.WARNING.value, None)
FREEZE = (AccountAction.Kind.FREEZE.value, None)


def restrict(days: int) -> tuple[str, int]:
    return (AccountAction.Kind.P2P_RESTRICTION.value, days)


SYSTEM_TEXTS = {
    "@created": {
        "en": "Order created. {crypto} {asset} is held in escrow. Please pay within 15 minutes.",
        "zh": "订单已创建，{crypto} {asset} 已由平台托管。请在15分钟内完成付款。",
        "ru": "Ордер создан. {crypto} {asset} заблокированы в эскроу. Оплатите в течение 15 минут.",
    },
    "@paid": {
        "en": "The buyer has marked the order as paid. Seller, please confirm the payment "
        "has arrived before releasing.",
        "zh": "买家已标记为已付款。卖家请确认收款到账后再放币。",
        "ru": "Покупатель отметил ордер как оплаченный. Продавец, проверьте поступление "
        "средств перед тем, как отпускать.",
    },
    "@released": {
        "en": "The seller has released {crypto} {asset}. The order is complete.",
        "zh": "卖家已放行 {crypto} {asset}，订单已完成。",
        "ru": "Продавец отпустил {crypto} {asset}. Ордер завершён.",
    },
    "@timeout": {
        "en": "The order was cancelled: the payment window expired.",
        "zh": "订单已取消：超过付款时限未标记付款。",
        "ru": "Ордер отменён: истекло время на оплату.",
    },
    "@appeal": {
        "en": "The {side} has filed an appeal. The order is on hold until an arbitrator decides.",
        "zh": "{side}已发起申诉，订单已冻结，请等待仲裁员处理。",
        "ru": "{side} подал апелляцию. Ордер заморожен до решения арбитра.",
    },
}
SIDE_NAMES = {
    "en": {BUYER: "buyer", SELLER: "seller"},
    "zh": {BUYER: "买家", SELLER: "卖家"},
    "ru": {BUYER: "Покупатель", SELLER: "Продавец"},
}

# Cancellation comments when an appellant withdraws, by language of the story.
WITHDRAWALS = {
    "en": "Appellant withdrew the appeal: the parties settled the order between them.",
    "zh": "申诉人撤销申诉：双方已协商处理完毕。",
    "ru": "Заявитель отозвал апелляцию: стороны договорились сами.",
}

# Generic evidence requests, when a story needs one it does not spell out.
GENERIC_REQUESTS = {
    "en": "Please upload a statement of your account for {date} (PDF from your bank) that "
    "shows the transfer for this order, within 24 hours.",
    "zh": "请在24小时内上传{date}的银行流水（PDF），需显示与本订单相关的转账。",
    "ru": "Пожалуйста, в течение 24 часов загрузите выписку по счёту за {date} (PDF из "
    "банка) с операцией по этому ордеру.",
}

# Staff escalation reasons when a story has none of its own.
GENERIC_ESCALATIONS = (
    "High value and conflicting evidence from both sides; needs a senior decision.",
    "Parties contradict each other and the vouchers do not settle it; second opinion needed.",
    "Possible linked accounts on both sides of the order; senior to review with risk.",
)


@dataclass(frozen=True)
class Doc:
    """A file a party uploads."""

    party: str
    kind: str  # "voucher" (PNG receipt) or "statement" (PDF bank statement)
    when: str  # "open": with the appeal; "later": after the case is claimed; "reply": answer
    # to the evidence request
    payer: str = BUYER  # whose account paid: buyer, third, company, or seller (a refund)
    amount: str = "order"  # "order", "paid" (what actually arrived) or "diff" (a top-up)
    shows_payment: bool = True  # statement: the disputed payment is on it
    reversal: bool = False  # statement: the payment was later reversed
    forged: bool = False  # voucher: the amount was edited
    note: str = ""


@dataclass(frozen=True)
class Decision:
    outcome: str
    responsible: str
    rule: str
    rationale: str
    action: tuple[str, int | None] | None = None


@dataclass(frozen=True)
class Story:
    key: str
    reason: str
    lang: str
    opened_by: str
    description: str
    chat: tuple[tuple[int, str, str], ...]
    open_after: tuple[int, int]  # minutes from the order's creation to the appeal
    decision: Decision
    after: tuple[tuple[int, str, str], ...] = ()  # (minutes after the appeal, sender, text)
    docs: tuple[Doc, ...] = ()
    request: tuple[str, str] | None = None  # (party, text in the story's language)
    notes: tuple[str, ...] = ()
    escalate: str = ""
    cancel: str = ""
    channel: str = Appeal.Channel.IN_APP.value
    amounts: str = "exact"  # exact, short (paid less), double (paid twice)
    currencies: tuple[str, ...] = ()  # restrict the fiat currency
    high_value: bool = False  # always above the four-eyes threshold

    @property
    def paid_minute(self) -> int | None:
        return next((m for m, _s, t in self.chat if t == "@paid"), None)


STORIES: tuple[Story, ...] = (
    # ---------------------------------------------------------------- English -------------
    Story(
        key="en-silent-seller",
        reason=R.CRYPTO_NOT_RELEASED,
        lang="en",
        opened_by=BUYER,
        open_after=(40, 75),
        chat=(
            (0, SYSTEM, "@created"),
            (1, BUYER, "Hi, paying now via {method}."),
            (2, SELLER, "ok send"),
            (7, BUYER, "Sent {money}, reference {ref}."),
            (7, SYSTEM, "@paid"),
            (19, BUYER, "Hi, could you check and release please?"),
            (31, BUYER, "It's been 25 minutes. My bank shows the transfer completed at {time}."),
            (38, BUYER, "Hello?"),
        ),
        after=((55, BUYER, "Still nothing from the seller. The receipt is in the appeal."),),
        description="I paid {money} by {method} at {time} (ref {ref}). The seller stopped "
        "answering and has not released the {asset}. Receipt attached.",
        docs=(Doc(BUYER, "voucher", "open"),),
        request=(
            SELLER,
            "Please upload your bank statement for {date} showing incoming "
            "payments to the account in this order. If the payment arrived, release "
            "the order.",
        ),
        notes=(
            "Buyer's receipt: payer matches KYC, amount exact, paid inside the window.",
            "Seller silent since the order was marked paid; evidence request sent with the "
            "standard 24 h deadline.",
        ),
        decision=Decision(
            OUT.RELEASE_TO_BUYER,
            P.SELLER,
            "P2P-1.2",
            "The buyer proved a {method} payment of {money} from an account in their own "
            "name inside the payment window. The seller did not answer the evidence request "
            "by the deadline. Crypto released to the buyer (P2P-1.2); seller warned.",
            WARN,
        ),
    ),
    Story(
        key="en-slow-transfer",
        reason=R.CRYPTO_NOT_RELEASED,
        lang="en",
        opened_by=BUYER,
        open_after=(70, 160),
        currencies=("EUR", "GBP", "USD"),
        chat=(
            (0, SYSTEM, "@created"),
            (2, BUYER, "Hello, I'll pay by bank transfer to the account in the order."),
            (
                3,
                SELLER,
                "Yes please. Put only the order number as reference, nothing about crypto.",
            ),
            (9, BUYER, "Done, {money}, reference {order}."),
            (9, SYSTEM, "@paid"),
            (24, SELLER, "Nothing yet. Was it instant or a normal transfer?"),
            (27, BUYER, "My bank says processing, it should be instant..."),
            (52, SELLER, "Still nothing. I can't release before I see the money."),
            (64, BUYER, "I'm opening an appeal then."),
        ),
        after=((420, SELLER, "The money arrived just now. Sorry for the wait."),),
        description="Paid {money} via {method} more than an hour ago, the seller says "
        "nothing arrived. My bank shows the payment as sent.",
        docs=(Doc(BUYER, "voucher", "open"),),
        request=(
            SELLER,
            "Please check your account again and upload a statement covering "
            "{date} and the next business day.",
        ),
        notes=(
            "Buyer's receipt shows a standard transfer, not instant; it can take a business day.",
            "Seller's statement shows the credit the next morning. Nobody at fault.",
        ),
        cancel="Buyer withdrew the appeal: the transfer arrived and the seller released.",
        decision=Decision(
            OUT.RELEASE_TO_BUYER,
            P.NONE,
            "P2P-1.1",
            "The seller's statement shows the buyer's transfer of {money} credited the next "
            "business day; it was a standard, not an instant, transfer. Payment complete, "
            "crypto released to the buyer. No party at fault.",
        ),
    ),
    Story(
        key="en-marked-paid-unpaid",
        reason=R.PAYMENT_NOT_RECEIVED,
        lang="en",
        opened_by=SELLER,
        open_after=(45, 90),
        chat=(
            (0, SYSTEM, "@created"),
            (1, BUYER, "hi"),
            (4, SYSTEM, "@paid"),
            (6, SELLER, "I don't see any payment. Did you send it?"),
            (12, SELLER, "Hello? You marked paid 8 minutes ago and nothing arrived."),
            (19, BUYER, "sorry my card got declined, trying another one"),
            (33, SELLER, "Please cancel the order if you can't pay."),
            (41, BUYER, "give me 10 more min"),
        ),
        after=((25, BUYER, "I can't pay today, sorry. Cancel it."),),
        description="The buyer marked the order paid but no {money} arrived on my {method} "
        "account. They now say their card was declined.",
        docs=(Doc(SELLER, "statement", "open", shows_payment=False),),
        request=(
            BUYER,
            "You marked this order as paid. Please upload the receipt from your "
            "bank showing the transfer of {money}, within 24 hours.",
        ),
        notes=(
            "Buyer admits in chat the payment failed ('card got declined'). No voucher.",
            "Marking an order paid without paying: warning under P2P-2.1.",
        ),
        decision=Decision(
            OUT.RETURN_TO_SELLER,
            P.BUYER,
            "P2P-2.1",
            "The buyer marked the order paid without paying and admitted in chat that the "
            "payment failed; no proof of payment was provided. Order cancelled, crypto "
            "returned to the seller; buyer warned.",
            WARN,
        ),
    ),
    Story(
        key="en-pix-returned",
        reason=R.PAYMENT_NOT_RECEIVED,
        lang="en",
        opened_by=SELLER,
        open_after=(40, 100),
        currencies=("BRL",),
        chat=(
            (0, SYSTEM, "@created"),
            (2, BUYER, "Oi! Paying by PIX now."),
            (5, BUYER, "Done, sent {money}."),
            (5, SYSTEM, "@paid"),
            (14, SELLER, "The PIX shows as returned (devolvido) in my app. Did you cancel it?"),
            (18, BUYER, "No, my app says sent. Check again."),
            (30, SELLER, "It was returned at {time}. Send it again or cancel please."),
        ),
        after=((50, BUYER, "My bank says the transfer is completed, I attached the comprovante."),),
        description="The buyer's PIX was returned (devolvido) minutes after it arrived. The "
        "money is not in my account.",
        docs=(
            Doc(BUYER, "voucher", "later"),
            Doc(SELLER, "statement", "reply", reversal=True),
        ),
        request=(
            SELLER,
            "Please upload your account statement for {date} showing the PIX "
            "credit and its return.",
        ),
        notes=(
            "Seller's statement shows the PIX credit and a 'PIX devolvido' debit minutes later: "
            "the payer's bank returned it (MED request).",
            "Buyer's receipt is genuine, but the money went back; the order is unpaid.",
        ),
        decision=Decision(
            OUT.RETURN_TO_SELLER,
            P.BUYER,
            "P2P-2.1",
            "The seller's statement shows the buyer's PIX of {money} was returned to the "
            "payer's bank minutes after it arrived, so the order is unpaid. Order cancelled, "
            "crypto returned to the seller; the buyer should ask their bank about the return.",
        ),
    ),
    Story(
        key="en-fee-deducted",
        reason=R.WRONG_AMOUNT,
        lang="en",
        opened_by=SELLER,
        open_after=(50, 120),
        amounts="short",
        chat=(
            (0, SYSTEM, "@created"),
            (3, BUYER, "Sending with {method} now"),
            (8, SYSTEM, "@paid"),
            (15, SELLER, "I received {paid_money}, the order is {money}. {diff_money} is missing."),
            (19, BUYER, "The bank took a fee, it's not my fault"),
            (22, SELLER, "The order says the full amount must arrive. Please send the difference."),
            (40, BUYER, "I'm not paying twice. Release or I appeal."),
        ),
        description="Received {paid_money} instead of {money}; the buyer refuses to pay the "
        "missing {diff_money}.",
        docs=(
            Doc(SELLER, "statement", "open", amount="paid"),
            Doc(BUYER, "voucher", "reply", amount="diff", note="Top-up of the difference"),
        ),
        request=(
            BUYER,
            "The seller received {paid_money} of {money}. Please top up the "
            "difference of {diff_money} and upload the receipt, or tell us if you "
            "prefer a refund.",
        ),
        notes=(
            "The transfer fee was deducted from the sent amount ('recipient pays fees').",
            "Buyer topped up the difference after our request; second receipt uploaded.",
        ),
        decision=Decision(
            OUT.RELEASE_TO_BUYER,
            P.NONE,
            "P2P-3.1",
            "The first transfer arrived {diff_money} short because of a transfer fee. After "
            "our request the buyer topped up the difference, proven by a second receipt. "
            "Full amount received: crypto released to the buyer.",
        ),
        cancel="Seller withdrew: the buyer paid the difference.",
    ),
    Story(
        key="en-company-account",
        reason=R.THIRD_PARTY_PAYMENT,
        lang="en",
        opened_by=SELLER,
        open_after=(25, 60),
        chat=(
            (0, SYSTEM, "@created"),
            (2, BUYER, "hi, paying now"),
            (6, SYSTEM, "@paid"),
            (
                12,
                SELLER,
                "I got {money} but from {payer}, not from you. I only accept "
                "payments from the account holder.",
            ),
            (15, BUYER, "it's my company account, same thing"),
            (
                18,
                SELLER,
                "The KYC name on the order is {buyer_name}. I can't accept "
                "third-party payments, I'll refund the sender.",
            ),
            (20, BUYER, "no just release, I need it urgently. I'll give you a 2% bonus"),
        ),
        description="The payment came from {payer}, which is not the buyer. Possible "
        "triangulation. I want to refund the sender.",
        docs=(
            Doc(SELLER, "statement", "open", payer="company"),
            Doc(BUYER, "voucher", "reply", payer="company", note="Paid from my company's account"),
        ),
        request=(
            BUYER,
            "The payment came from {payer}. Please upload proof that this account "
            "is yours (a statement in your own name) within 24 hours.",
        ),
        notes=(
            "Payer on the statement: {payer}. Buyer's KYC name: {buyer_name}. Nothing links them.",
            "A bonus for a fast release is a classic triangulation sign.",
        ),
        escalate="Possible triangulation: payment from a company account the buyer cannot "
        "explain, plus pressure to release fast.",
        decision=Decision(
            OUT.RETURN_TO_SELLER,
            P.BUYER,
            "P2P-4.1",
            "The payment came from {payer}, not from an account in the buyer's name "
            "({buyer_name}); the buyer could not prove the account is theirs. The seller "
            "refunds the payment to its source; order cancelled, crypto returned to the "
            "seller. Buyer restricted for 30 days.",
            restrict(30),
        ),
    ),
    Story(
        key="en-chargeback",
        reason=R.CHARGEBACK,
        lang="en",
        opened_by=SELLER,
        open_after=(4 * 1440, 12 * 1440),
        currencies=("EUR", "GBP", "USD"),
        chat=(
            (0, SYSTEM, "@created"),
            (2, BUYER, "Paying with {method}"),
            (7, SYSTEM, "@paid"),
            (13, SELLER, "Received, thanks!"),
            (14, SYSTEM, "@released"),
            (
                -180,
                SELLER,
                "Hi, my bank just reversed your payment of {money} as 'disputed "
                "by the account holder'. Please send it again or return the {asset}.",
            ),
            (-30, SELLER, "Are you there? I'll open an appeal."),
        ),
        description="{money} I received from this buyer was reversed {days} days after I "
        "released. The buyer does not answer.",
        docs=(Doc(SELLER, "statement", "open", reversal=True),),
        request=(
            BUYER,
            "Your payment of {money} for this order was reversed after the crypto "
            "was released. Please explain and upload your bank's statement within 24 "
            "hours.",
        ),
        notes=(
            "Statement shows the credit on the order day and a chargeback debit {days} days later.",
            "The buyer withdrew the USDT to an external wallet right after the release. "
            "Passing to risk for recovery.",
        ),
        escalate="Chargeback after release and the buyer's balance is gone; needs a senior "
        "for the freeze.",
        decision=Decision(
            OUT.NO_ACTION,
            P.BUYER,
            "P2P-5.1",
            "The buyer reversed a payment of {money} after the crypto had been released; the "
            "crypto has already left the platform, so nothing moves on this order. Buyer's "
            "account frozen, loss passed to risk for recovery.",
            FREEZE,
        ),
    ),
    Story(
        key="en-seller-off-platform",
        reason=R.FRAUD_SCAM,
        lang="en",
        opened_by=BUYER,
        open_after=(30, 60),
        chat=(
            (0, SYSTEM, "@created"),
            (
                1,
                SELLER,
                "Hello friend, this account has a limit today. Pay to my other card "
                "and we talk on Telegram {tg}, faster",
            ),
            (3, BUYER, "I'll pay to the account in the order."),
            (4, SELLER, "No!! that account is blocked, money will be lost. WhatsApp me {phone}"),
            (6, SELLER, "Or I cancel. Telegram {tg}"),
            (9, BUYER, "I paid to the account in the order, {money}, reference {ref}."),
            (9, SYSTEM, "@paid"),
            (21, SELLER, "I don't see it. Send again to my other card, then I release both"),
            (25, BUYER, "No. Opening an appeal."),
        ),
        description="The seller insists on payment to another card and on talking on "
        "Telegram/WhatsApp. I paid to the account in the order and he won't release.",
        docs=(
            Doc(BUYER, "voucher", "open"),
            Doc(SELLER, "statement", "reply"),
        ),
        request=(SELLER, "Please upload a statement of the account in this order for {date}."),
        notes=(
            "Seller pushes the buyer to Telegram {tg} and WhatsApp {phone} and to 'another "
            "card': off-platform pressure (P2P-6.1).",
            "The seller's own statement shows the buyer's payment arrived.",
        ),
        decision=Decision(
            OUT.RELEASE_TO_BUYER,
            P.SELLER,
            "P2P-6.1",
            "The seller's statement confirms the buyer's payment of {money}. The seller tried "
            "to move the buyer to Telegram and WhatsApp and to another card. Crypto released "
            "to the buyer; seller restricted for 14 days.",
            restrict(14),
        ),
    ),
    Story(
        key="en-fake-support",
        reason=R.FRAUD_SCAM,
        lang="en",
        opened_by=SELLER,
        open_after=(15, 40),
        chat=(
            (0, SYSTEM, "@created"),
            (2, BUYER, "Payment sent! {money}"),
            (2, SYSTEM, "@paid"),
            (5, SELLER, "Nothing arrived yet"),
            (6, BUYER, "Support will contact you to confirm, it's a new security check"),
            (
                8,
                BUYER,
                "[Exchange Support] Dear merchant, the buyer's payment is held for "
                "verification. Release the coins to unlock it. Contact support on Telegram "
                "{tg}.",
            ),
            (11, SELLER, "Support doesn't write in the order chat. I'm opening an appeal."),
        ),
        description="No payment arrived, and the buyer is pretending to be support and "
        "pushes me to release first.",
        docs=(
            Doc(SELLER, "statement", "open", shows_payment=False),
            Doc(BUYER, "voucher", "later", forged=True),
        ),
        request=(
            BUYER,
            "Please upload your bank's statement (PDF) showing the transfer of "
            "{money}, within 24 hours.",
        ),
        notes=(
            "Buyer posted a fake 'support' message in the chat pointing to Telegram {tg}.",
            "Buyer's voucher: the amount is in a different font and off the baseline, edited. "
            "Seller's statement shows no credit.",
        ),
        escalate="Support impersonation and an edited voucher; freeze needs a senior.",
        decision=Decision(
            OUT.RETURN_TO_SELLER,
            P.BUYER,
            "P2P-6.2",
            "The buyer impersonated support in the order chat and uploaded an edited voucher; "
            "the seller's statement shows no payment. Order cancelled, crypto returned to the "
            "seller; buyer's account frozen.",
            FREEZE,
        ),
    ),
    Story(
        key="en-sim-swap",
        reason=R.ACCOUNT_COMPROMISED,
        lang="en",
        opened_by=SELLER,
        open_after=(20, 45),
        channel=Appeal.Channel.EMAIL.value,
        chat=(
            (0, SYSTEM, "@created"),
            (1, SELLER, "pay fast pls, to the new details in the order"),
            (4, BUYER, "ok paying {money} via {method}"),
            (9, SYSTEM, "@paid"),
            (10, BUYER, "paid, ref {ref}"),
            (11, SELLER, "received, releasing soon"),
            (18, BUYER, "?"),
        ),
        description="I did not place this order. My phone number was taken over (SIM swap) "
        "and someone changed my payment details. Please stop the trade.",
        docs=(
            Doc(BUYER, "voucher", "later"),
            Doc(SELLER, "statement", "reply", shows_payment=False),
        ),
        request=(
            SELLER,
            "Please upload a statement of your own account for {date} so we can "
            "confirm the payment did not reach you.",
        ),
        notes=(
            "Payment details changed 40 minutes before the order, from a new device.",
            "The buyer paid in good faith to the changed details; referred to risk for the "
            "receiving account.",
        ),
        escalate="Reported account takeover (SIM swap); security check and freeze needed.",
        decision=Decision(
            OUT.RETURN_TO_SELLER,
            P.SELLER,
            "P2P-7.1",
            "The seller's account was taken over and its payment details changed before this "
            "order; the payment did not reach the owner. Crypto still in escrow returned to "
            "the account, which stays frozen until the owner verifies again. The buyer's "
            "payment to the changed details is referred to risk.",
            FREEZE,
        ),
    ),
    Story(
        key="en-price-change",
        reason=R.OTHER,
        lang="en",
        opened_by=BUYER,
        open_after=(30, 70),
        chat=(
            (0, SYSTEM, "@created"),
            (2, SELLER, "Rate moved a lot, I need {diff_money} more or cancel"),
            (4, BUYER, "The price is locked in the order. I'm paying {money} now."),
            (8, SYSTEM, "@paid"),
            (10, SELLER, "Then I refund you, cancel the order"),
            (15, BUYER, "I don't want a refund, I want the {asset} at the agreed price"),
            (26, SELLER, "not releasing at that price"),
        ),
        description="The seller wants a higher price after I paid the agreed {money} and "
        "refuses to release.",
        docs=(Doc(BUYER, "voucher", "open"),),
        request=(
            SELLER,
            "The order price is binding once the order is created. Please "
            "confirm whether you received {money} and upload your statement for "
            "{date}.",
        ),
        notes=("Seller demanded a higher price after the order was created: not allowed.",),
        decision=Decision(
            OUT.RELEASE_TO_BUYER,
            P.SELLER,
            "P2P-1.1",
            "The buyer paid {money}, the price fixed in the order; the seller refused to "
            "release to renegotiate the price. Crypto released to the buyer; seller warned.",
            WARN,
        ),
    ),
    Story(
        key="en-duplicate-order",
        reason=R.OTHER,
        lang="en",
        opened_by=SELLER,
        open_after=(30, 90),
        chat=(
            (0, SYSTEM, "@created"),
            (1, BUYER, "Hi, this is for my second order, same as the first one"),
            (5, SYSTEM, "@paid"),
            (
                9,
                SELLER,
                "I only got one payment of {money}, and it's already released on your other order.",
            ),
            (14, BUYER, "oh, I thought I had to click paid on both"),
            (16, SELLER, "Please cancel this one then."),
            (28, SELLER, "I can't cancel it myself after you marked it paid. Appealing."),
        ),
        description="The buyer marked this order paid by mistake; the only payment belonged "
        "to his other order, already completed. Please cancel this one.",
        docs=(Doc(SELLER, "statement", "open", shows_payment=False),),
        notes=("Buyer confirms in chat it was a mistake; one payment, two orders.",),
        cancel="Buyer cancelled the duplicate order himself; appeal withdrawn.",
        decision=Decision(
            OUT.RETURN_TO_SELLER,
            P.NONE,
            "P2P-2.1",
            "Only one payment was made and it completed the buyer's other order; the buyer "
            "confirms this order was marked paid by mistake. Order cancelled, crypto "
            "returned to the seller.",
        ),
    ),
    # ---------------------------------------------------------------- Chinese -------------
    Story(
        key="zh-found-in-balance",
        reason=R.CRYPTO_NOT_RELEASED,
        lang="zh",
        opened_by=BUYER,
        open_after=(45, 90),
        chat=(
            (0, SYSTEM, "@created"),
            (1, BUYER, "你好，马上付款"),
            (2, SELLER, "好的，付款时不要备注任何敏感词"),
            (6, BUYER, "已转{money}，请查收"),
            (6, SYSTEM, "@paid"),
            (18, BUYER, "老板，收到了吗？麻烦放一下币"),
            (29, SELLER, "没看到到账啊"),
            (31, BUYER, "我这边显示转账成功，截图发给你了"),
            (40, BUYER, "怎么不回复了？"),
        ),
        after=(
            (95, SELLER, "不好意思，钱转到余额宝里了，刚看到"),
            (97, SELLER, "已确认收款"),
        ),
        description="已通过{method}支付{money}，卖家一直不放币，已上传付款凭证。",
        docs=(
            Doc(BUYER, "voucher", "open"),
            Doc(SELLER, "statement", "reply"),
        ),
        request=(SELLER, "请在24小时内上传{date}的{method}账单或银行流水，确认是否收到买家付款。"),
        notes=(
            "Buyer's voucher: payer matches KYC, amount exact.",
            "Seller admits in chat the payment went to Yu'e Bao (余额宝) and was overlooked.",
        ),
        cancel="买家撤销申诉：卖家已确认收款并放币。",
        decision=Decision(
            OUT.RELEASE_TO_BUYER,
            P.NONE,
            "P2P-1.1",
            "The seller confirmed in chat and on the statement that the buyer's {money} "
            "arrived (it was swept into Yu'e Bao and overlooked). Crypto released to the "
            "buyer.",
        ),
    ),
    Story(
        key="zh-edited-screenshot",
        reason=R.PAYMENT_NOT_RECEIVED,
        lang="zh",
        opened_by=SELLER,
        open_after=(25, 50),
        chat=(
            (0, SYSTEM, "@created"),
            (2, BUYER, "付了"),
            (2, SYSTEM, "@paid"),
            (8, SELLER, "没收到，你转的哪个账户？"),
            (9, BUYER, "就是你订单里的账户，截图给你"),
            (15, SELLER, "你这截图金额字体都不一样，我流水里根本没有这笔"),
            (17, BUYER, "银行延迟吧，你先放币，我不会骗你的"),
            (21, SELLER, "没到账不可能放，申诉吧"),
        ),
        description="买家标记已付款，但我的账户没有收到{money}。买家提供的截图疑似P图。",
        docs=(
            Doc(SELLER, "statement", "open", shows_payment=False),
            Doc(BUYER, "voucher", "later", forged=True),
        ),
        request=(
            BUYER,
            "请在24小时内上传付款银行的电子回单或流水（PDF），需显示付款人、收款人、金额和时间。",
        ),
        notes=(
            "Buyer's screenshot: amount rendered in a different font and offset, edited. "
            "Seller's statement has no such credit.",
            "No bank receipt from the buyer after the request.",
        ),
        decision=Decision(
            OUT.RETURN_TO_SELLER,
            P.BUYER,
            "P2P-2.2",
            "The buyer's voucher is edited (the amount is in a different font and off the "
            "baseline) and the seller's statement shows no payment; the buyer sent no bank "
            "receipt when asked. Order cancelled, crypto returned to the seller; buyer's "
            "account frozen.",
            FREEZE,
        ),
    ),
    Story(
        key="zh-short-paid",
        reason=R.WRONG_AMOUNT,
        lang="zh",
        opened_by=SELLER,
        open_after=(60, 120),
        amounts="short",
        chat=(
            (0, SYSTEM, "@created"),
            (3, SYSTEM, "@paid"),
            (6, SELLER, "你只转了{paid_money}，订单是{money}，还差{diff_money}"),
            (9, BUYER, "不好意思，输错了，马上补"),
            (40, SELLER, "补了吗？"),
            (52, SELLER, "一直不补，那我原路退款，你取消订单吧"),
            (55, BUYER, "别退，我晚上补"),
        ),
        description="买家只付了{paid_money}，订单金额{money}，差额{diff_money}一直没补。",
        docs=(
            Doc(BUYER, "voucher", "later", amount="paid"),
            Doc(BUYER, "voucher", "reply", amount="diff", note="补款凭证"),
        ),
        request=(
            BUYER,
            "卖家仅收到{paid_money}，请在24小时内补足差额{diff_money}并上传凭证，或同意退款取消订单。",
        ),
        notes=(
            "Buyer typed the wrong amount; admits it in chat.",
            "Top-up of the difference uploaded after our request.",
        ),
        cancel="卖家撤销申诉：买家已补足差额。",
        decision=Decision(
            OUT.RELEASE_TO_BUYER,
            P.BUYER,
            "P2P-3.1",
            "The buyer first paid {paid_money} instead of {money} and topped up the "
            "{diff_money} difference after our request (second voucher). Full amount "
            "received: crypto released to the buyer.",
        ),
    ),
    Story(
        key="zh-sister-paid",
        reason=R.THIRD_PARTY_PAYMENT,
        lang="zh",
        opened_by=SELLER,
        open_after=(25, 60),
        chat=(
            (0, SYSTEM, "@created"),
            (2, BUYER, "我用家人的账户付可以吗？"),
            (3, SELLER, "不行，必须本人实名账户付款"),
            (8, SYSTEM, "@paid"),
            (12, SELLER, "收到了，但是付款人是{payer}，不是你本人"),
            (14, BUYER, "是我姐姐，她帮我付的，一样的"),
            (16, SELLER, "平台规定不能第三方付款，我原路退回，你取消订单"),
            (22, BUYER, "退什么退，钱你都收了，赶紧放币"),
        ),
        description="付款人{payer}与买家实名{buyer_name}不一致，属于第三方付款，我要求原路退回。",
        docs=(
            Doc(BUYER, "voucher", "later", payer="third"),
            Doc(SELLER, "statement", "reply", payer="third"),
        ),
        request=(SELLER, "请上传收款账户{date}的流水，需显示付款人姓名。"),
        notes=(
            "Voucher payer {payer} differs from the buyer's KYC name {buyer_name}; the buyer "
            "says it is his sister.",
            "Seller asked to refund to source before the appeal; correct per P2P-4.1.",
        ),
        decision=Decision(
            OUT.RETURN_TO_SELLER,
            P.BUYER,
            "P2P-4.1",
            "The payment of {money} came from {payer}, not from the buyer ({buyer_name}). "
            "Third-party payments are not accepted: the seller refunds the payer, the order "
            "is cancelled and the crypto returned to the seller. Buyer warned.",
            WARN,
        ),
    ),
    Story(
        key="zh-wechat-off-platform",
        reason=R.FRAUD_SCAM,
        lang="zh",
        opened_by=SELLER,
        open_after=(15, 35),
        chat=(
            (0, SYSTEM, "@created"),
            (1, BUYER, "老板，加我微信{wx}，以后直接私下交易，给你高点价"),
            (2, SELLER, "只在平台交易"),
            (4, BUYER, "平台手续费太高了，加个微信聊，电话{phone}"),
            (6, SYSTEM, "@paid"),
            (9, SELLER, "没收到钱，你为什么点已付款？"),
            (10, BUYER, "你先放币，我马上转，微信上说"),
            (13, SELLER, "不可能先放币。申诉了"),
        ),
        description="买家未付款就点了已付款，并一直要求加微信私下交易、让我先放币。",
        docs=(Doc(SELLER, "statement", "open", shows_payment=False),),
        request=(BUYER, "请在24小时内上传付款凭证及银行流水。"),
        notes=(
            "Buyer pushes to WeChat ({wx}) and phone {phone}, asks the seller to release "
            "first: P2P-6.1.",
            "No payment on the seller's statement; buyer did not answer the request.",
        ),
        decision=Decision(
            OUT.RETURN_TO_SELLER,
            P.BUYER,
            "P2P-6.1",
            "The buyer marked the order paid without paying and pressed the seller to move "
            "to WeChat and release first. Order cancelled, crypto returned to the seller; "
            "buyer restricted for 30 days.",
            restrict(30),
        ),
    ),
    Story(
        key="zh-stolen-account",
        reason=R.ACCOUNT_COMPROMISED,
        lang="zh",
        opened_by=BUYER,
        open_after=(25, 60),
        channel=Appeal.Channel.LIVE_CHAT.value,
        chat=(
            (0, SYSTEM, "@created"),
            (1, BUYER, "在吗，急用，快点"),
            (3, SELLER, "在的，请付款"),
            (7, SYSTEM, "@paid"),
            (8, BUYER, "已付款，快放"),
            (15, SELLER, "还没收到，稍等"),
            (22, BUYER, "快点！！"),
        ),
        description="我的账号被盗了！这笔订单不是我下的，登录记录显示异地登录，请立即冻结账户。",
        docs=(Doc(SELLER, "statement", "reply", shows_payment=False),),
        request=(SELLER, "请上传{date}的收款账户流水，确认是否收到本订单付款。"),
        notes=(
            "Login from a new device and IP eight minutes before the order; the owner "
            "reported it via live chat.",
            "No payment was made: the intruder tried to get the seller to release first.",
        ),
        escalate="Account takeover reported through live chat; new device and IP before the order.",
        decision=Decision(
            OUT.RETURN_TO_SELLER,
            P.BUYER,
            "P2P-7.1",
            "The buyer's account was taken over and the order was placed by the intruder; "
            "no payment was made. Order cancelled, crypto returned to the seller. The buyer's "
            "account stays frozen until the owner verifies again.",
            FREEZE,
        ),
    ),
    Story(
        key="zh-timeout-refund",
        reason=R.OTHER,
        lang="zh",
        opened_by=BUYER,
        open_after=(40, 90),
        chat=(
            (0, SYSTEM, "@created"),
            (2, BUYER, "好的马上付"),
            (16, SYSTEM, "@timeout"),
            (18, BUYER, "我已经付了钱，怎么订单取消了？"),
            (25, SELLER, "你没点已付款，系统自动取消了。我查一下"),
            (33, BUYER, "钱你收到了吗？请退给我"),
        ),
        after=((120, SELLER, "看到你的{money}了，已原路退回"),),
        description="我付了{money}但忘记点已付款，订单超时取消了，请帮忙让卖家退款。",
        docs=(
            Doc(BUYER, "voucher", "open"),
            Doc(SELLER, "voucher", "reply", payer=SELLER, note="退款凭证"),
        ),
        request=(SELLER, "买家已付款但订单超时取消，请在24小时内原路退回{money}并上传退款凭证。"),
        notes=(
            "Order timed out: the buyer paid but did not mark it paid in time.",
            "Seller refunded the buyer; refund receipt uploaded.",
        ),
        decision=Decision(
            OUT.NO_ACTION,
            P.BUYER,
            "P2P-8.1",
            "The order expired because the buyer did not mark it paid in time; the seller "
            "refunded {money} to the buyer (receipt uploaded). Nothing left to move: closed "
            "with no fund movement.",
        ),
    ),
    Story(
        key="zh-bank-review",
        reason=R.CRYPTO_NOT_RELEASED,
        lang="zh",
        opened_by=BUYER,
        open_after=(120, 200),
        high_value=True,
        chat=(
            (0, SYSTEM, "@created"),
            (3, BUYER, "大额，走银行转账可以吗？"),
            (4, SELLER, "可以，转订单里的卡号"),
            (12, BUYER, "转过去了，{money}，附言{ref}"),
            (12, SYSTEM, "@paid"),
            (30, SELLER, "还没到，可能跨行慢"),
            (75, BUYER, "已经一个多小时了"),
            (90, SELLER, "我这边显示有一笔来账在审核中，银行风控了，我明天去柜台问问"),
            (110, BUYER, "那你先放币吧，钱肯定到了"),
        ),
        description="大额银行转账{money}已成功扣款，卖家说银行风控审核中，不放币。",
        docs=(
            Doc(BUYER, "voucher", "open"),
            Doc(BUYER, "statement", "later"),
            Doc(SELLER, "statement", "reply"),
        ),
        request=(SELLER, "请在银行解除审核后上传{date}起的收款流水，显示该笔来账的入账状态。"),
        notes=(
            "Buyer's statement shows the debit; the seller's bank held the credit for a "
            "compliance review.",
            "Seller's statement: credited the next day after the review.",
        ),
        decision=Decision(
            OUT.RELEASE_TO_BUYER,
            P.NONE,
            "P2P-1.1",
            "The buyer's transfer of {money} was held by the seller's bank for review and "
            "credited the next day, as the seller's statement shows. Payment complete: "
            "crypto released to the buyer.",
        ),
    ),
    Story(
        key="zh-frozen-card",
        reason=R.CHARGEBACK,
        lang="zh",
        opened_by=SELLER,
        open_after=(3 * 1440, 10 * 1440),
        chat=(
            (0, SYSTEM, "@created"),
            (2, BUYER, "付了，{money}"),
            (2, SYSTEM, "@paid"),
            (9, SELLER, "收到，放币"),
            (10, SYSTEM, "@released"),
            (
                -150,
                SELLER,
                "你好，我银行卡被冻结了，银行说你转的这笔是涉诈资金，已经被扣划了。请联系我处理。",
            ),
            (-30, SELLER, "不回复我就申诉了"),
        ),
        description="放币{days}天后银行卡被冻结，买家转来的{money}被认定为涉诈资金并被扣划。",
        docs=(Doc(SELLER, "statement", "open", reversal=True),),
        request=(BUYER, "请在24小时内说明付款资金来源，并上传付款账户的银行流水。"),
        notes=(
            "Seller's statement: the credit, then a deduction by the bank at the police's "
            "request {days} days later.",
            "Buyer silent; his USDT was withdrawn within an hour of release.",
        ),
        escalate="Funds clawed back as fraud proceeds after release; buyer silent.",
        decision=Decision(
            OUT.NO_ACTION,
            P.BUYER,
            "P2P-5.1",
            "The buyer's payment of {money} was clawed back from the seller's account as "
            "fraud proceeds after the crypto was released; the buyer did not explain the "
            "source of funds. No fund movement on the order; buyer's account frozen and the "
            "loss passed to risk.",
            FREEZE,
        ),
    ),
    # ---------------------------------------------------------------- Russian -------------
    Story(
        key="ru-seller-doubts",
        reason=R.CRYPTO_NOT_RELEASED,
        lang="ru",
        opened_by=BUYER,
        open_after=(55, 120),
        chat=(
            (0, SYSTEM, "@created"),
            (1, BUYER, "Добрый день, оплачиваю"),
            (2, SELLER, "Добрый, жду"),
            (6, BUYER, "Оплатил {money}, чек прикреплю"),
            (6, SYSTEM, "@paid"),
            (20, BUYER, "Отпустите, пожалуйста"),
            (35, SELLER, "Деньги не пришли. Проверьте реквизиты"),
            (37, BUYER, "Реквизиты из ордера, банк показывает «Выполнен»"),
            (50, SELLER, "Пока не вижу, ждите"),
        ),
        description="Оплатил {money} через {method} в {time}, продавец не отпускает {asset} "
        "и говорит, что денег нет. Чек приложил.",
        docs=(
            Doc(BUYER, "voucher", "open"),
            Doc(BUYER, "statement", "reply"),
        ),
        request=(
            BUYER,
            "Пожалуйста, загрузите выписку из банка за {date} с этой операцией "
            "(PDF), в течение 24 часов.",
        ),
        notes=(
            "Buyer's statement shows the debit to the seller's card from the buyer's own account.",
            "Seller gave no evidence that the money did not arrive.",
        ),
        decision=Decision(
            OUT.RELEASE_TO_BUYER,
            P.SELLER,
            "P2P-1.1",
            "The buyer's bank statement shows the payment of {money} from the buyer's own "
            "account to the details in the order; the seller showed nothing to the "
            "contrary. Crypto released to the buyer.",
        ),
    ),
    Story(
        key="ru-fake-receipt",
        reason=R.PAYMENT_NOT_RECEIVED,
        lang="ru",
        opened_by=SELLER,
        open_after=(20, 45),
        chat=(
            (0, SYSTEM, "@created"),
            (3, SYSTEM, "@paid"),
            (5, SELLER, "Оплаты нет"),
            (7, BUYER, "Я отправил, вот чек"),
            (12, SELLER, "Чек левый, у меня ничего нет. И время на чеке раньше, чем создан ордер"),
            (14, BUYER, "Это у вас проблемы с банком, отпускайте"),
            (19, SELLER, "Открываю апелляцию"),
        ),
        description="Покупатель нажал «оплачено», денег нет. Прислал поддельный чек.",
        docs=(
            Doc(SELLER, "statement", "open", shows_payment=False),
            Doc(BUYER, "voucher", "later", forged=True),
        ),
        request=(
            BUYER,
            "Загрузите, пожалуйста, выписку по счёту списания в PDF за {date}, в течение 24 часов.",
        ),
        notes=(
            "Buyer's receipt is edited: the amount is in another font, off the baseline.",
            "Seller's statement shows no credit; buyer sent no statement.",
        ),
        decision=Decision(
            OUT.RETURN_TO_SELLER,
            P.BUYER,
            "P2P-2.2",
            "The buyer's receipt is edited and the seller's statement shows no payment; the "
            "buyer did not provide a bank statement when asked. Order cancelled, crypto "
            "returned to the seller; buyer's account frozen.",
            FREEZE,
        ),
    ),
    Story(
        key="ru-paid-twice",
        reason=R.WRONG_AMOUNT,
        lang="ru",
        opened_by=BUYER,
        open_after=(80, 150),
        amounts="double",
        chat=(
            (0, SYSTEM, "@created"),
            (2, BUYER, "Оплачиваю"),
            (6, SYSTEM, "@paid"),
            (9, BUYER, "Ой, перевод ушёл два раза, отправил {paid_money} вместо {money}"),
            (14, SELLER, "Вижу. Верну лишнее, когда разберусь"),
            (40, BUYER, "Отпустите уже и верните {diff_money}"),
            (70, SELLER, "Банк заблокировал входящие, жду поддержку"),
        ),
        description="Перевёл по ошибке дважды ({paid_money}). Продавец не отпускает USDT и не "
        "возвращает {diff_money}.",
        docs=(
            Doc(BUYER, "statement", "open", amount="paid"),
            Doc(SELLER, "voucher", "reply", payer=SELLER, amount="diff", note="Возврат"),
        ),
        request=(
            SELLER,
            "Покупатель перевёл {paid_money}. Пожалуйста, верните {diff_money} на "
            "счёт отправителя и загрузите чек возврата.",
        ),
        notes=(
            "Buyer's statement shows two identical debits a minute apart.",
            "Seller refunded the duplicate; receipt uploaded.",
        ),
        cancel="Покупатель отозвал апелляцию: продавец вернул лишнее и отпустил.",
        decision=Decision(
            OUT.RELEASE_TO_BUYER,
            P.NONE,
            "P2P-3.1",
            "The buyer paid the order twice; the seller refunded the extra {diff_money} "
            "(receipt uploaded) and the order amount was received. Crypto released to the "
            "buyer.",
        ),
    ),
    Story(
        key="ru-wife-card",
        reason=R.THIRD_PARTY_PAYMENT,
        lang="ru",
        opened_by=SELLER,
        open_after=(25, 60),
        chat=(
            (0, SYSTEM, "@created"),
            (2, BUYER, "Оплачу с карты жены, можно?"),
            (3, SELLER, "Нет, только с карты на ваше имя"),
            (6, SYSTEM, "@paid"),
            (10, SELLER, "Пришло от {payer}. Это не вы. Верну деньги отправителю"),
            (12, BUYER, "Да это жена, какая разница"),
            (15, SELLER, "Правила площадки. Отменяйте ордер, возвращаю"),
            (20, BUYER, "Не отменю, отпускайте"),
        ),
        description="Оплата пришла от {payer}, а покупатель — {buyer_name}. Оплата третьим "
        "лицом, прошу отменить ордер.",
        docs=(
            Doc(BUYER, "voucher", "later", payer="third"),
            Doc(SELLER, "statement", "reply", payer="third"),
        ),
        request=(SELLER, "Загрузите выписку за {date}, где видно имя отправителя платежа."),
        notes=(
            "Payer {payer} is not the buyer {buyer_name}; the buyer says it is his wife's card.",
        ),
        decision=Decision(
            OUT.RETURN_TO_SELLER,
            P.BUYER,
            "P2P-4.1",
            "The payment came from {payer}, not from the buyer ({buyer_name}). The seller "
            "refunds the payer; the order is cancelled and the crypto returned to the "
            "seller. Buyer warned.",
            WARN,
        ),
    ),
    Story(
        key="ru-disputed-payment",
        reason=R.CHARGEBACK,
        lang="ru",
        opened_by=SELLER,
        open_after=(2 * 1440, 9 * 1440),
        chat=(
            (0, SYSTEM, "@created"),
            (2, BUYER, "Перевёл"),
            (2, SYSTEM, "@paid"),
            (8, SELLER, "Пришло, отпускаю"),
            (9, SYSTEM, "@released"),
            (
                -200,
                SELLER,
                "Банк списал {money} обратно — плательщик оспорил операцию. Верните "
                "деньги или USDT",
            ),
            (-40, SELLER, "Молчите? Открываю апелляцию"),
        ),
        description="Через {days} дн. после того, как я отпустил USDT, банк списал {money} — "
        "покупатель оспорил платёж.",
        docs=(Doc(SELLER, "statement", "open", reversal=True),),
        request=(
            BUYER,
            "Ваш платёж {money} по этому ордеру был оспорен после получения "
            "криптовалюты. Объясните ситуацию и загрузите выписку в течение 24 часов.",
        ),
        notes=(
            "Seller's statement: credit on the order day, reversal {days} days later "
            "('оспаривание операции').",
            "Buyer silent after the request.",
        ),
        decision=Decision(
            OUT.NO_ACTION,
            P.BUYER,
            "P2P-5.1",
            "The buyer disputed the payment of {money} with their bank after the crypto was "
            "released. Nothing left in escrow; buyer's account frozen and the case passed to "
            "risk for recovery.",
            FREEZE,
        ),
    ),
    Story(
        key="ru-telegram",
        reason=R.FRAUD_SCAM,
        lang="ru",
        opened_by=BUYER,
        open_after=(30, 60),
        chat=(
            (0, SYSTEM, "@created"),
            (1, SELLER, "Привет. Тут комиссия большая, пиши в телеграм {tg}, сделаем напрямую"),
            (3, BUYER, "Давайте через ордер"),
            (
                4,
                SELLER,
                "Тогда переводи на карту *{card4} — она на брата, в ордере старая. "
                "Или звони {phone}",
            ),
            (6, BUYER, "Переведу на реквизиты из ордера"),
            (9, SYSTEM, "@paid"),
            (20, SELLER, "Не пришло. Дублируй на *{card4} и пиши в телегу, разберёмся"),
            (23, BUYER, "Ничего дублировать не буду"),
        ),
        description="Продавец уводит в телеграм и просит оплатить на чужую карту. Я оплатил "
        "на реквизиты из ордера, он не отпускает.",
        docs=(
            Doc(BUYER, "voucher", "open"),
            Doc(SELLER, "statement", "reply"),
        ),
        request=(SELLER, "Загрузите выписку по счёту из ордера за {date}."),
        notes=(
            "Seller pushes to Telegram {tg} and to a card in another name: P2P-6.1.",
            "Seller's statement shows the buyer's payment arrived.",
        ),
        decision=Decision(
            OUT.RELEASE_TO_BUYER,
            P.SELLER,
            "P2P-6.1",
            "The seller's statement confirms the buyer's payment of {money}. The seller tried "
            "to move the buyer to Telegram and to a card in another name. Crypto released to "
            "the buyer; seller restricted for 30 days.",
            restrict(30),
        ),
    ),
    Story(
        key="ru-hacked-seller",
        reason=R.ACCOUNT_COMPROMISED,
        lang="ru",
        opened_by=SELLER,
        open_after=(25, 60),
        channel=Appeal.Channel.EMAIL.value,
        chat=(
            (0, SYSTEM, "@created"),
            (1, SELLER, "Реквизиты в ордере: карта *{card4}, оплачивайте"),
            (6, BUYER, "Оплатил {money}"),
            (6, SYSTEM, "@paid"),
            (8, SELLER, "Получил, отпускаю через пару минут"),
            (20, BUYER, "Ну что там?"),
        ),
        description="Это не мой ордер! Мой аккаунт взломали и сменили реквизиты на чужую "
        "карту *{card4}. Прошу заблокировать сделку.",
        docs=(
            Doc(BUYER, "voucher", "later"),
            Doc(SELLER, "statement", "reply", shows_payment=False),
        ),
        request=(
            SELLER,
            "Загрузите выписку по вашей карте за {date}, чтобы подтвердить, что "
            "платёж к вам не поступал.",
        ),
        notes=(
            "Payment details changed to a card in another name an hour before the order, "
            "from a new device.",
            "The buyer paid in good faith to the changed details; referred to risk.",
        ),
        escalate="Seller reports an account takeover; payment details were changed just "
        "before the order.",
        decision=Decision(
            OUT.RETURN_TO_SELLER,
            P.SELLER,
            "P2P-7.1",
            "The seller's account was taken over and the payment details changed before this "
            "order; the payment went to a card that is not the seller's. Crypto returned to "
            "the account, which stays frozen until the owner verifies again; the receiving "
            "card is referred to risk.",
            FREEZE,
        ),
    ),
    Story(
        key="ru-old-card",
        reason=R.OTHER,
        lang="ru",
        opened_by=BUYER,
        open_after=(40, 100),
        chat=(
            (0, SYSTEM, "@created"),
            (2, BUYER, "Перевожу на карту из ордера"),
            (7, SYSTEM, "@paid"),
            (15, SELLER, "Не вижу. Ой, в ордере старая карта, она закрыта"),
            (18, BUYER, "И что теперь? Деньги ушли"),
            (25, SELLER, "Должны вернуться вам. Отменим ордер?"),
            (30, BUYER, "Сначала хочу увидеть деньги"),
        ),
        description="Продавец указал закрытую карту. Деньги {money} списались, ордер висит.",
        docs=(Doc(BUYER, "voucher", "open"),),
        request=(BUYER, "Пожалуйста, загрузите выписку, где виден возврат {money} на ваш счёт."),
        notes=(
            "Seller's payment details were outdated (closed card); the bank returned the "
            "transfer to the buyer.",
        ),
        cancel="Покупатель отозвал апелляцию: деньги вернулись, ордер отменён.",
        decision=Decision(
            OUT.RETURN_TO_SELLER,
            P.SELLER,
            "P2P-2.1",
            "The payment to the closed card in the order bounced back to the buyer, so the "
            "order is unpaid. Order cancelled, crypto returned to the seller; the seller is "
            "warned to keep payment details current.",
            WARN,
        ),
    ),
)

# The planted recycled-voucher ring (see seed.py): same description for all three cases.
RING_STORY = Story(
    key="ring-recycled-voucher",
    reason=R.PAYMENT_NOT_RECEIVED,
    lang="en",
    opened_by=SELLER,
    open_after=(25, 50),
    currencies=("EUR",),
    chat=(
        (0, SYSTEM, "@created"),
        (2, BUYER, "hello, paid with {method}"),
        (2, SYSTEM, "@paid"),
        (8, SELLER, "Nothing arrived on my side."),
        (10, BUYER, "check again, I have the receipt. please release fast, I need to go"),
        (18, SELLER, "Still nothing. Opening an appeal."),
    ),
    description="The buyer marked the order paid; nothing arrived. He keeps sending a screenshot.",
    docs=(
        Doc(SELLER, "statement", "open", shows_payment=False),
        Doc(BUYER, "voucher", "later"),
    ),
    request=(
        BUYER,
        "Please upload your bank's statement (PDF) with this transfer within 24 hours.",
    ),
    notes=("Seller's statement shows no credit for this order.",),
    decision=Decision(
        OUT.RETURN_TO_SELLER,
        P.BUYER,
        "P2P-2.1",
        "No payment arrived on the seller's statement and the buyer sent no statement when "
        "asked. Order cancelled, crypto returned to the seller; buyer warned.",
        WARN,
    ),
)
