"""Evidence files. Stored by content hash, never by the uploaded name; never edited."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Appeal, Party


def evidence_storage():
    return storages["evidence"]


def merged_facts(extracted: dict[str, Any] | None, corrections: dict[str, Any] | None) -> dict:
    """Each field's correction over what was read: the one rule for what a file says, for
    a row and for values read without one (evidence.risk)."""
    merged = dict(extracted or {})
    merged.update({f: c.get("value") for f, c in (corrections or {}).items()})
    return merged


# What each field of a reading is called on a page.
FIELD_LABELS = {
    "amount": _("Amount"),
    "currency": _("Currency"),
    "payer_name": _("Payer"),
    "paid_at": _("Paid at"),
    "reference": _("Reference"),
    "text": _("Text"),
}


class ExtractionNote(models.TextChoices):
    """Why a file's reading has no text, when it has none."""

    READ = "", _("Read")
    NO_TEXT = "no_text", _("No text found in the file")
    OCR_OFF = "ocr_off", _("Image reading is switched off")
    UNREADABLE = "unreadable", _("The file could not be read")


class Evidence(models.Model):
    class Kind(models.TextChoices):
        PAYMENT_VOUCHER = "payment_voucher", _("Payment voucher")
        BANK_STATEMENT = "bank_statement", _("Bank statement")
        SCREEN_RECORDING = "screen_recording", _("Screen recording")
        IDENTITY_DOCUMENT = "identity_document", _("Identity document")
        OTHER = "other", _("Other")

    class ContentType(models.TextChoices):
        PNG = "image/png", "PNG"
        JPEG = "image/jpeg", "JPEG"
        WEBP = "image/webp", "WebP"
        PDF = "application/pdf", "PDF"

    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, related_name="evidence")
    party = models.CharField(max_length=8, choices=Party.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Stored under its sha256 (evidence/ab/cd/<sha256>.<ext>); equal files share one blob.
    file = models.FileField(storage=evidence_storage, max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=32, choices=ContentType.choices)
    # Shown to staff only as text; never used as a path.
    original_name = models.CharField(max_length=255, blank=True)
    # 64-bit difference hash of an image (imagehash dHash of the trimmed content), hex: a
    # short summary kept for readers of the column. Recycled vouchers are found through
    # VoucherFingerprint, one row per image.
    image_hash = models.CharField(max_length=16, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    payer_name = models.CharField(max_length=256, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    # What was read from the file itself (evidence.extraction.FIELDS), null until read;
    # never edited: an arbitrator's correction goes to `corrections`.
    extracted = models.JSONField(null=True, blank=True)
    extracted_at = models.DateTimeField(null=True, blank=True)
    extraction_note = models.CharField(max_length=16, choices=ExtractionNote.choices, blank=True)
    # {field: {"value": ..., "by": user id, "by_name": username, "at": ISO time}}: each
    # field's latest correction, audited (evidence.corrected); the reading stays as read.
    corrections = models.JSONField(default=dict, blank=True)
    # Traces of an editing program or of a re-saved file, read at upload
    # (evidence.edit_traces): [{"code", "value"}]; null until the file was read (older
    # rows until `manage.py backfill_fingerprints` reads them).
    edit_traces = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name_plural = "evidence"
        indexes = [
            models.Index(fields=["appeal", "uploaded_at"], name="evidence_appeal"),
            # Recycled vouchers: the same bytes, or the same image hash, on another order.
            models.Index(fields=["sha256"], name="evidence_sha256"),
            models.Index(fields=["image_hash"], name="evidence_image_hash"),
            # The extraction sweep: what is still unread, oldest first.
            models.Index(
                fields=["uploaded_at"],
                name="evidence_unread",
                condition=models.Q(extracted_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.party} ({self.sha256[:12]})"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def is_read(self) -> bool:
        """Whether the desk reads this kind of file for a payment's facts."""
        return self.kind in READ_KINDS

    @property
    def facts(self) -> dict[str, Any] | None:
        """What the file says, as the desk trusts it: each correction over what was read
        (None while nothing was read nor corrected). The risk scorer reads this."""
        if self.extracted is None and not self.corrections:
            return None
        return merged_facts(self.extracted, self.corrections)


# The kinds a payment's facts are read from (an identity document is not a payment).
READ_KINDS = (Evidence.Kind.PAYMENT_VOUCHER, Evidence.Kind.BANK_STATEMENT)

class RiskFinding(models.Model):
    """One risk signal of an appeal, as a row: the analysts' pages count, rank and chart
    findings over a million appeals with GROUP BY on indexed columns, which the JSON list
    on the appeal (Appeal.risk_signals, what the case page and the API show) cannot give.

    Derived data: evidence.risk.risk_assess replaces an appeal's rows in the transaction
    that stores its score, so the rows always match the stored signals. A signal that
    concerns both parties is a row for each."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="risk_findings")
    code = models.CharField(max_length=48)
    # The party the finding concerns and that party's account: the suspect it points at.
    side = models.CharField(max_length=8, choices=Party.choices)
    trader = models.ForeignKey(
        "cases.Trader", on_delete=models.CASCADE, related_name="risk_findings"
    )
    # The appeal's created_at, copied: weekly trends and rankings read a bounded range of
    # it without joining the appeals.
    opened_at = models.DateTimeField()
    found_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["appeal", "code", "trader"], name="risk_finding_unique"
            ),
        ]
        indexes = [
            # Fraud-pattern trends: each code per week over a bounded range.
            models.Index(fields=["opened_at", "code"], name="risk_finding_opened_code"),
            # Suspicious accounts: a trader's findings (the ranking groups by trader over
            # the range; the detail rows read one page of traders).
            models.Index(fields=["trader", "opened_at"], name="risk_finding_trader"),
            models.Index(fields=["code", "opened_at"], name="risk_finding_code_opened"),
        ]

    def __str__(self) -> str:
        return f"{self.code} on appeal #{self.appeal_id} ({self.side})"


class FingerprintColumns(models.Model):
    """A 256-bit perceptual hash and its 16 segments, each indexed (multi-index hashing,
    evidence.fingerprints): a near-copy equals the hash in at least one segment. Abstract
    so that the benchmark can fill a table of its own with the same columns and indexes."""

    phash = models.CharField(max_length=64)
    s0 = models.IntegerField()
    s1 = models.IntegerField()
    s2 = models.IntegerField()
    s3 = models.IntegerField()
    s4 = models.IntegerField()
    s5 = models.IntegerField()
    s6 = models.IntegerField()
    s7 = models.IntegerField()
    s8 = models.IntegerField()
    s9 = models.IntegerField()
    s10 = models.IntegerField()
    s11 = models.IntegerField()
    s12 = models.IntegerField()
    s13 = models.IntegerField()
    s14 = models.IntegerField()
    s15 = models.IntegerField()

    class Meta:
        abstract = True
        indexes = [
            models.Index(fields=["s0"], name="%(class)s_s0"),
            models.Index(fields=["s1"], name="%(class)s_s1"),
            models.Index(fields=["s2"], name="%(class)s_s2"),
            models.Index(fields=["s3"], name="%(class)s_s3"),
            models.Index(fields=["s4"], name="%(class)s_s4"),
            models.Index(fields=["s5"], name="%(class)s_s5"),
            models.Index(fields=["s6"], name="%(class)s_s6"),
            models.Index(fields=["s7"], name="%(class)s_s7"),
            models.Index(fields=["s8"], name="%(class)s_s8"),
            models.Index(fields=["s9"], name="%(class)s_s9"),
            models.Index(fields=["s10"], name="%(class)s_s10"),
            models.Index(fields=["s11"], name="%(class)s_s11"),
            models.Index(fields=["s12"], name="%(class)s_s12"),
            models.Index(fields=["s13"], name="%(class)s_s13"),
            models.Index(fields=["s14"], name="%(class)s_s14"),
            models.Index(fields=["s15"], name="%(class)s_s15"),
        ]


class VoucherFingerprint(FingerprintColumns):
    """One per image evidence: how recycled vouchers are found among millions."""

    evidence = models.OneToOneField(Evidence, on_delete=models.CASCADE, related_name="fingerprint")
    # The trimmed content in grey, 192 px wide (PNG): the verification step compares it.
    thumbnail = models.BinaryField()

    class Meta(FingerprintColumns.Meta):
        pass

    def __str__(self) -> str:
        return f"Fingerprint {self.phash[:16]} of evidence {self.evidence_id}"
