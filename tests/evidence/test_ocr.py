"""OCR field accuracy on rendered receipts (English and Chinese), and the reading task."""

from __future__ import annotations

import os

import pytest

from evidence import ocr
from evidence.extraction import extract_fields
from tests.evidence.receipts import cjk_font_installed, receipts

N = int(os.environ.get("OCR_SAMPLES", "10"))
FLOOR = 0.9
# PP-OCR's alphabet has no "€" or "£": those receipts' currency reads as null (counted
# apart, not in the floor); "$", "¥" and ISO codes are read.
UNREADABLE_SYMBOLS = {"EUR", "GBP"}


def _accuracy(lang: str) -> dict[str, float]:
    hits: dict[str, list[bool]] = {}
    for sample in receipts(lang, N):
        found = extract_fields(ocr.image_lines(sample.png).lines)
        for field, want in sample.expected.items():
            got = found[field]
            if field == "payer_name":
                # The scorer compares names without case; OCR lowercases some initials.
                ok = (got or "").casefold() == want.casefold()
            else:
                ok = got == want
            if field == "currency" and want in UNREADABLE_SYMBOLS:
                field = "currency (€/£)"
            hits.setdefault(field, []).append(ok)
    rates = {field: sum(v) / len(v) for field, v in hits.items()}
    print(f"\nOCR accuracy, {lang}, {N} receipts:", {k: f"{v:.0%}" for k, v in rates.items()})
    return rates


@pytest.mark.usefixtures("ocr")
def test_english_receipts_are_read_field_by_field():
    rates = _accuracy("en")
    for field in ("amount", "currency", "payer_name", "paid_at", "reference"):
        assert rates[field] >= FLOOR, (field, rates)


@pytest.mark.usefixtures("ocr")
def test_chinese_receipts_are_read_field_by_field():
    if not cjk_font_installed():
        if os.environ.get("CI"):
            pytest.fail("No CJK font is installed (CI must have fonts-noto-cjk)")
        pytest.skip("no CJK font installed")
    rates = _accuracy("zh")
    for field in ("amount", "currency", "payer_name", "paid_at", "reference"):
        assert rates[field] >= FLOOR, (field, rates)


@pytest.mark.usefixtures("ocr")
def test_a_blank_or_tiny_image_is_not_sent_to_ocr(monkeypatch):
    from tests.factories import png_bytes

    monkeypatch.setattr(ocr, "engine", lambda: pytest.fail("OCR ran"))
    assert ocr.image_lines(png_bytes(size=(20, 20))).note == "no_text"
    assert ocr.image_lines(png_bytes(size=(400, 300), color="#fff")).note in ("no_text",)


def test_with_ocr_off_an_image_is_not_read(monkeypatch):
    monkeypatch.setattr(ocr, "engine", lambda: pytest.fail("OCR ran"))
    assert ocr.image_lines(b"whatever").note == "ocr_off"


def test_a_pdf_is_read_from_its_text_layer():
    from tests.factories import pdf_bytes

    text = ocr.pdf_lines(pdf_bytes("Amount CNY 3,600.00"))
    assert extract_fields(text.lines)["amount"] == "3600.00"


def test_a_pdf_without_text_says_so():
    import io

    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    pdf.rect(72, 72, 200, 200, fill=1)
    pdf.showPage()
    pdf.save()
    assert ocr.pdf_lines(out.getvalue()) == ocr.Text([], "no_text")
