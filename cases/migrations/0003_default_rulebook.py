"""The default platform rulebook that verdicts cite; team leads edit it in the admin."""

from __future__ import annotations

from django.db import migrations

RULES = [
    ("P2P-1.1", "Release after confirmed payment",
     "When the buyer proves a payment of the full order amount, from an account in the "
     "buyer's own KYC name, made inside the payment window, and the seller cannot show the "
     "money did not arrive, the escrowed crypto is released to the buyer.",
     ["crypto_not_released"]),
    ("P2P-1.2", "Seller unresponsive",
     "A seller who does not answer the appeal or an evidence request by its deadline, while "
     "the buyer has proved payment, loses the appeal: the crypto is released to the buyer.",
     ["crypto_not_released"]),
    ("P2P-2.1", "No payment received",
     "When the buyer cannot prove a completed payment (a bank statement or a receipt the "
     "bank confirms), the order is cancelled and the crypto returns to the seller.",
     ["payment_not_received"]),
    ("P2P-2.2", "Forged or recycled voucher",
     "A payment voucher that is edited, forged, or already used on another order proves "
     "nothing. The order is cancelled, the crypto returns to the seller, and the submitter "
     "is restricted or frozen.",
     ["payment_not_received", "fraud_scam"]),
    ("P2P-3.1", "Wrong amount paid",
     "A payment that differs from the order amount does not complete the order. The buyer "
     "tops up the difference or the seller refunds the payment; if neither happens by the "
     "deadline, the order is cancelled and the crypto returns to the seller.",
     ["wrong_amount"]),
    ("P2P-4.1", "Third-party payment",
     "Payment must come from an account in the buyer's own KYC name. A payment from anyone "
     "else is refunded by the seller to its source; the order is cancelled and the crypto "
     "returns to the seller. Repeat cases restrict the buyer.",
     ["third_party_payment"]),
    ("P2P-5.1", "Chargeback after release",
     "A buyer who reverses a payment after the crypto was released is responsible for the "
     "loss: the account is frozen and the case passed to risk for recovery.",
     ["chargeback"]),
    ("P2P-6.1", "Off-platform contact and pressure",
     "Pushing the counterparty to move the conversation or the payment off the platform, "
     "or to release before payment arrives, is a breach; the party doing it is warned or "
     "restricted, and the order is decided on the evidence.",
     ["fraud_scam", "other"]),
    ("P2P-6.2", "Impersonation and fraud",
     "Impersonating support, the counterparty or a bank, or any deception to obtain crypto "
     "or fiat, freezes the account of the party responsible.",
     ["fraud_scam"]),
    ("P2P-7.1", "Compromised account",
     "A trade made by someone who took over an account is reversed where funds are still in "
     "escrow; the account is frozen until the owner is verified again.",
     ["account_compromised"]),
    ("P2P-8.1", "Already settled",
     "When the parties settled the order themselves, or the appeal is moot, it is closed "
     "with no fund movement.",
     ["other", "crypto_not_released", "payment_not_received", "wrong_amount"]),
    ("P2P-9.1", "Insufficient evidence from both parties",
     "When neither party proves its claim by the deadline, the order is cancelled and the "
     "crypto returns to the seller; the buyer's proven payment, if any, is refunded.",
     ["other", "wrong_amount", "payment_not_received"]),
]


def load(apps, schema_editor):
    Rule = apps.get_model("cases", "Rule")
    for code, title, text, reasons in RULES:
        Rule.objects.update_or_create(
            code=code, defaults={"title": title, "text": text, "reasons": reasons, "active": True}
        )


def unload(apps, schema_editor):
    Rule = apps.get_model("cases", "Rule")
    # Rules cited by verdicts stay (PROTECT); only unused defaults go.
    Rule.objects.filter(code__in=[r[0] for r in RULES], verdicts__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_roles_and_audit_head")]

    operations = [migrations.RunPython(load, unload)]
