"""Reading a file's text, offline: OCR for images, the text layer for PDFs.

The OCR engine (RapidOCR: PP-OCR models shipped in its wheel, Chinese and English, on
onnxruntime) is loaded once per process, lazily: web processes that never read a voucher
never pay for it, and a worker pays a quarter of a second once. The `EVIDENCE_OCR`
setting switches image reading off (tests, a machine without the models); PDFs are read
from their text layer with pypdf either way, which needs no renderer.
"""

from __future__ import annotations

import io
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from PIL import Image, ImageStat, UnidentifiedImageError

from .extraction import rows_from_boxes

if TYPE_CHECKING:
    from rapidocr_onnxruntime import RapidOCR

logger = logging.getLogger(__name__)

_engine: RapidOCR | None = None
_engine_lock = threading.Lock()

# Smaller than this there is no text a person could read either.
MIN_SIDE = 24
# A picture whose greys vary less than this is blank: no OCR pass is spent on it.
BLANK_STDDEV = 4.0
# Phone screenshots are ~1080-1440 px wide; larger images are shrunk first, which keeps
# the time per voucher bounded and loses no receipt-sized text.
MAX_SIDE = 2000
# A statement's first pages hold the transfer; a 300-page PDF is not read whole.
PDF_MAX_PAGES = 5


def engine() -> RapidOCR:
    """The process's OCR engine, created on first use (thread-safe)."""
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                from rapidocr_onnxruntime import RapidOCR

                _engine = RapidOCR()
    return _engine


@dataclass(frozen=True)
class Text:
    """What was read from a file: its rows, and why there are none when there are none
    (`note`: "no_text", "ocr_off", "unreadable")."""

    lines: list[str]
    note: str = ""


def _prepared(content: bytes) -> Image.Image | None:
    """The image ready for OCR, or None when it cannot hold readable text."""
    with Image.open(io.BytesIO(content)) as opened:
        image = opened.convert("RGB")
    if min(image.size) < MIN_SIDE:
        return None
    if max(ImageStat.Stat(image.convert("L")).stddev) < BLANK_STDDEV:
        return None
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    return image


def image_lines(content: bytes) -> Text:
    """The rows of text OCR finds in an image."""
    if not settings.EVIDENCE_OCR:
        return Text([], "ocr_off")
    try:
        image = _prepared(content)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return Text([], "unreadable")
    if image is None:
        return Text([], "no_text")
    import numpy

    found: Any
    try:
        # No angle classifier: vouchers are upright screenshots and scans, and skipping it
        # saves a tenth of the time.
        found, _elapsed = engine()(numpy.asarray(image), use_cls=False)
    except Exception:
        # A model that chokes on one picture would choke on every retry: the file is
        # stored as unreadable (and says so) rather than re-read by every sweep.
        logger.exception("OCR failed on an image")
        return Text([], "unreadable")
    lines = rows_from_boxes((box, text) for box, text, _score in found or [])
    return Text(lines, "" if lines else "no_text")


def pdf_lines(content: bytes) -> Text:
    """The rows of a PDF's text layer. A scanned PDF has none, and says so."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(content))
        pages = reader.pages[:PDF_MAX_PAGES]
        text = "\n".join(page.extract_text() or "" for page in pages)
    except (PdfReadError, OSError, ValueError, KeyError, TypeError):
        logger.warning("A PDF could not be read", exc_info=True)
        return Text([], "unreadable")
    lines = [line for line in text.splitlines() if line.strip()]
    return Text(lines, "" if lines else "no_text")


def file_lines(content: bytes, content_type: str) -> Text:
    if content_type == "application/pdf":
        return pdf_lines(content)
    return image_lines(content)
