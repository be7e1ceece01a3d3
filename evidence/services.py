"""Storing evidence: sniff the bytes, verify images, hash, and file by content hash."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO, Any

import imagehash
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from arbitration.exceptions import InvalidInput
from arbitration.jobs import enqueue_on_commit
from cases import lifecycle
from cases.audit import audit_record
from cases.derived import risk_reassess_on_commit
from cases.models import Appeal, Party

from . import fingerprints, ocr
from .edit_traces import edit_traces
from .extraction import extract_fields
from .models import READ_KINDS, Evidence, VoucherFingerprint, evidence_storage

READ_EVIDENCE = "evidence.tasks.extract_evidence"

EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "application/pdf": "pdf",
}
CHUNK = 64 * 1024


def sniff_content_type(head: bytes) -> str | None:
    """The type the bytes say they are; the name and the client's claim are ignored."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def _spool(upload: IO[bytes], limit: int) -> tuple[tempfile.SpooledTemporaryFile, str, int]:
    """Copy the upload while hashing it, stopping as soon as it passes the size limit."""
    spool = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)
    digest, size = hashlib.sha256(), 0
    chunks = (
        upload.chunks(CHUNK) if hasattr(upload, "chunks") else iter(lambda: upload.read(CHUNK), b"")
    )
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            spool.close()
            raise InvalidInput(
                _("The file is larger than %(mib)s MiB.") % {"mib": limit // (1024 * 1024)},
                field="file",
            )
        digest.update(chunk)
        spool.write(chunk)
    spool.seek(0)
    return spool, digest.hexdigest(), size


def image_dhash(image: Image.Image) -> str:
    """64-bit difference hash (imagehash) of the trimmed content, hex: the short summary
    kept in Evidence.image_hash; recycled vouchers are found by the fingerprint."""
    return str(imagehash.dhash(fingerprints.trimmed(image), hash_size=8))


def _inspect_image(spool: IO[bytes]) -> tuple[int, int, str, fingerprints.Fingerprint]:
    max_pixels = settings.EVIDENCE_MAX_PIXELS
    try:
        with Image.open(spool) as probe:
            width, height = probe.size
            if width * height > max_pixels:
                raise InvalidInput(
                    _("The image is %(width)sx%(height)s pixels; the limit is %(max)s pixels.")
                    % {"width": width, "height": height, "max": f"{max_pixels:,}"},
                    field="file",
                )
            probe.verify()
        spool.seek(0)
        with Image.open(spool) as image:
            image.load()
            return width, height, image_dhash(image), fingerprints.Fingerprint.of(image)
    except InvalidInput:
        raise
    except Image.DecompressionBombError:
        # Pillow refuses far-too-large images inside Image.open, before the check above.
        raise InvalidInput(
            _("The image has too many pixels; the limit is %(max)s pixels.")
            % {"max": f"{max_pixels:,}"},
            field="file",
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidInput(_("The image is damaged or not a real image."), field="file") from None
    finally:
        spool.seek(0)


def evidence_add(
    *,
    appeal_id: int,
    upload: IO[bytes],
    party: str,
    kind: str,
    actor: AbstractBaseUser | None,
    original_name: str = "",
    note: str = "",
    payer_name: str = "",
) -> Evidence:
    """Validate and store one file for an appeal. A refused file leaves nothing behind."""
    lifecycle.require_writer(actor, _("add evidence"))
    if party not in Party.values:
        raise InvalidInput(_("party must be 'buyer' or 'seller'."), field="party")
    if kind not in Evidence.Kind.values:
        raise InvalidInput(
            _("Unknown evidence kind %(kind)s.") % {"kind": repr(kind)}, field="kind"
        )
    spool, sha256, size = _spool(upload, settings.EVIDENCE_MAX_BYTES)
    with spool:
        if size == 0:
            raise InvalidInput(_("The file is empty."), field="file")
        content_type = sniff_content_type(spool.read(16))
        spool.seek(0)
        if content_type is None:
            raise InvalidInput(
                _("Only PNG, JPEG, WebP and PDF files are accepted (judged by content, not name)."),
                field="file",
            )
        width = height = fingerprint = None
        image_hash = ""
        if content_type.startswith("image/"):
            width, height, image_hash, fingerprint = _inspect_image(spool)
        elif b"%%EOF" not in _tail(spool):
            raise InvalidInput(_("The PDF is truncated or damaged."), field="file")
        traces = _edit_traces(spool, content_type, appeal_id)
        name = f"{sha256[:2]}/{sha256[2:4]}/{sha256}.{EXTENSIONS[content_type]}"
        storage = evidence_storage()
        with transaction.atomic():
            appeal = lifecycle.lock_appeal(appeal_id)
            lifecycle.can_upload(actor, appeal).check()
            # Same bytes, same name: a second upload of one file reuses the stored blob, and
            # two at once both write the same bytes (the storage overwrites). A blob is never
            # deleted here: another row may point at it. If the transaction fails after the
            # write, the blob is an orphan, harmless because nothing names it.
            if not storage.exists(name):
                storage.save(name, File(spool, name=name))
            evidence = Evidence.objects.create(
                appeal=appeal,
                party=party,
                kind=kind,
                file=name,
                sha256=sha256,
                size=size,
                content_type=content_type,
                original_name=original_name[:255],
                image_hash=image_hash,
                width=width,
                height=height,
                note=note,
                payer_name=payer_name,
                uploaded_by=actor,
                edit_traces=traces,
            )
            if fingerprint is not None:
                fingerprint_store(evidence=evidence, fingerprint=fingerprint)
            audit_record(
                actor=actor,
                action="evidence.added",
                obj=evidence,
                appeal=appeal,
                after={
                    "party": party,
                    "kind": kind,
                    "sha256": sha256,
                    "size": size,
                    "content_type": content_type,
                },
            )
            lifecycle.appeal_evidence_received(appeal_id=appeal_id, actor=actor, party=party)
            # A recycled voucher or a stranger's payer name changes the case's risk.
            risk_reassess_on_commit([appeal_id])
            if kind in READ_KINDS:
                # Read after commit, off the request; the extraction sweep catches a lost one.
                enqueue_on_commit(READ_EVIDENCE, evidence.pk)
    return evidence


def _edit_traces(spool: IO[bytes], content_type: str, appeal_id: int) -> list[dict[str, str]]:
    """The file's edit traces; the order's creation never changes, so it is read without
    the appeal's lock."""
    created = (
        Appeal.objects.filter(pk=appeal_id).values_list("order__created_at", flat=True).first()
    )
    data = spool.read()
    spool.seek(0)
    return edit_traces(data, content_type, order_created_at=created)


def fingerprint_store(
    *, evidence: Evidence, fingerprint: fingerprints.Fingerprint
) -> VoucherFingerprint:
    """The image's row in the near-copy index (one per image evidence)."""
    segments = {f"s{i}": value for i, value in enumerate(fingerprint.segments)}
    row, _created = VoucherFingerprint.objects.update_or_create(
        evidence=evidence,
        defaults={"phash": fingerprint.phash, "thumbnail": fingerprint.thumbnail, **segments},
    )
    return row


def _tail(spool: IO[bytes]) -> bytes:
    spool.seek(0, os.SEEK_END)
    end = spool.tell()
    spool.seek(max(0, end - 1024))
    tail = spool.read()
    spool.seek(0)
    return tail


# --- reading a file's facts -------------------------------------------------------------


def evidence_read(*, evidence_id: int) -> bool:
    """Read a voucher's facts from the file and store them (evidence.extracted), then mark
    the appeal's risk stale. Returns whether this call stored a reading.

    Safe to run twice and at once: the reading is stored only on a row still unread (a
    filtered update), so a second reader's work is dropped and the risk is marked once.
    With OCR switched off an image stays unread (the sweep reads it once OCR is on); a file
    with no text is stored as read, with nulls and a note that says why.
    """
    evidence = (
        Evidence.objects.filter(pk=evidence_id, extracted_at__isnull=True, kind__in=READ_KINDS)
        .only("id", "appeal_id", "file", "content_type")
        .first()
    )
    if evidence is None:
        return False
    # A storage outage raises here, leaving the row unread for the sweep.
    with evidence.file.open("rb") as handle:
        content = handle.read()
    text = ocr.file_lines(content, evidence.content_type)
    if text.note == "ocr_off":
        return False
    with transaction.atomic():
        stored = Evidence.objects.filter(pk=evidence_id, extracted_at__isnull=True).update(
            extracted=extract_fields(text.lines),
            extracted_at=timezone.now(),
            extraction_note=text.note,
        )
        if stored:
            # What the voucher says (its amount, time, payer) feeds the risk.
            risk_reassess_on_commit([evidence.appeal_id])
    return bool(stored)


def evidence_unread(*, now: datetime, limit: int) -> list[int]:
    """Evidence still unread past the grace its on-commit reading should take, oldest
    first (the partial index evidence_unread). Images only while OCR is on."""
    grace = now - timedelta(seconds=settings.EXTRACTION_SWEEP_GRACE_SECONDS)
    unread = Evidence.objects.filter(
        extracted_at__isnull=True, kind__in=READ_KINDS, uploaded_at__lte=grace
    )
    if not settings.EVIDENCE_OCR:
        unread = unread.filter(content_type=Evidence.ContentType.PDF)
    return list(unread.order_by("uploaded_at", "id").values_list("id", flat=True)[:limit])


# --- correcting what was read -------------------------------------------------------------

# What an arbitrator may correct; `text` is the file's own text and stays as read.
CORRECTABLE = ("amount", "currency", "payer_name", "paid_at", "reference")
MAX_AMOUNT = Decimal("1000000000000")


def correction_value(field: str, raw: str) -> str | None:
    """A typed correction in the form `extracted` stores it: an amount as "1234.50", a
    currency as its ISO code, a time as ISO 8601; empty means "the file shows none".
    Raises InvalidInput (on `field` or `value`) for anything else."""
    if field not in CORRECTABLE:
        raise InvalidInput(
            _("%(field)s cannot be corrected.") % {"field": repr(field)}, field="field"
        )
    raw = raw.strip()
    if not raw:
        return None
    if field == "amount":
        try:
            amount = Decimal(raw.replace(",", "").replace(" ", ""))
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or not 0 < amount < MAX_AMOUNT:
            raise InvalidInput(_("The amount must be a positive number."), field="value")
        return str(amount.quantize(Decimal("0.01")))
    if field == "currency":
        if not re.fullmatch(r"[A-Za-z]{3}", raw):
            raise InvalidInput(
                _("The currency must be a 3-letter code (CNY, USD, RUB)."), field="value"
            )
        return raw.upper()
    if field == "paid_at":
        try:
            return datetime.fromisoformat(raw).isoformat()
        except ValueError:
            raise InvalidInput(
                _("The time must be written as YYYY-MM-DD HH:MM."), field="value"
            ) from None
    limit = 256 if field == "payer_name" else 128
    if len(raw) > limit:
        raise InvalidInput(_("At most %(n)s characters.") % {"n": limit}, field="value")
    return raw


def evidence_correct(
    *,
    appeal_id: int,
    evidence_id: int,
    field: str,
    value: str,
    actor: AbstractBaseUser | None,
) -> Evidence:
    """Correct one field of what was read from a file, as the arbitrator who can decide the
    case (lifecycle.can_decide) sees it. The reading stays as read; the correction, its
    author and time are kept beside it, audited (evidence.corrected), and the case's risk
    is recomputed. Correcting a field to what it already says changes nothing."""
    clean = correction_value(field, value)
    with transaction.atomic():
        appeal = lifecycle.lock_appeal(appeal_id)
        lifecycle.can_decide(actor, appeal).check()
        evidence = (
            Evidence.objects.select_for_update().filter(pk=evidence_id, appeal=appeal).first()
        )
        if evidence is None:
            raise InvalidInput(_("This case has no such evidence."), field="evidence")
        before = (evidence.facts or {}).get(field)
        if before == clean:
            return evidence
        read = (evidence.extracted or {}).get(field)
        corrections: dict[str, Any] = dict(evidence.corrections)
        corrections[field] = {
            "value": clean,
            "by": actor.pk if actor is not None else None,
            "by_name": actor.get_username() if actor is not None else "",
            "at": timezone.now().isoformat(),
        }
        evidence.corrections = corrections
        evidence.save(update_fields=["corrections"])
        audit_record(
            actor=actor,
            action="evidence.corrected",
            obj=evidence,
            appeal=appeal,
            before={"field": field, "value": before, "read": read},
            after={"field": field, "value": clean},
        )
        risk_reassess_on_commit([appeal.pk])
    return evidence
