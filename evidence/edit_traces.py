"""Edit traces: what a file's own metadata says about how it was made.

A phone screenshot or a bank's PDF carries no editor's name and dates that agree with
the payment. A voucher that passed through Photoshop, Meitu or an online PDF editor
usually says so (EXIF Software, XMP CreatorTool, PNG text chunks, a PDF's Producer and
Creator), and a re-saved file shows it in its dates or, for a PDF, in an incremental
update appended after the original. Read once at upload (evidence_add) and stored on
the evidence (Evidence.edit_traces) as [{"code", "value"}]; the risk scorer raises
`voucher_edited` from them. A trace is a reason to look closer, not proof."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

from django.utils.translation import gettext_lazy, gettext_noop
from PIL import Image
from pypdf import PdfReader
from pypdf.errors import PyPdfError

# Lower-case substrings of the programs that edit pictures; phone camera and screenshot
# software ("Android", "iOS 17.5", "Samsung Screen Capture") is not among them.
IMAGE_EDITORS = (
    "photoshop",
    "gimp",
    "picsart",
    "snapseed",
    "meitu",
    "美图",
    "canva",
    "pixelmator",
    "lightroom",
    "paint.net",
    "fotor",
    "affinity photo",
    "photopea",
    "pixlr",
    "facetune",
    "醒图",
)
# Programs that edit PDFs; a bank's statement is written by its own server software.
PDF_EDITORS = (
    "photoshop",
    "pdfescape",
    "sejda",
    "ilovepdf",
    "smallpdf",
    "pdf-xchange editor",
    "pdf-xchange viewer",
    "foxit phantompdf",
    "foxit pdf editor",
    "nitro",
    "pdfelement",
    "pdffiller",
    "soda pdf",
    "pdf candy",
    "acrobat pro",
)
# Saving twice within this long is one export, not an edit.
RESAVE_SLACK = timedelta(minutes=2)
# An EXIF time without its offset may be any zone's local time.
NO_ZONE_SLACK = timedelta(hours=14)

# What each trace is called on a page ({value} is the program or date found).
TRACE_LABELS = {
    "editor": gettext_noop("Saved by an image editor: %(value)s"),
    "resaved": gettext_noop("Modified after it was taken (%(value)s)"),
    "before_order": gettext_noop("Taken before the order was created (%(value)s)"),
    "pdf_editor": gettext_noop("Written by a PDF editor: %(value)s"),
    "pdf_modified": gettext_noop("The PDF was modified after it was created (%(value)s)"),
    "pdf_updates": gettext_noop("The PDF was saved again %(value)s time(s) after it was made"),
}
TRACE_TITLE = gettext_lazy("Edit traces")

_EXIF_SOFTWARE, _EXIF_DATETIME, _EXIF_IFD = 0x0131, 0x0132, 0x8769
_EXIF_ORIGINAL, _EXIF_OFFSET_ORIGINAL = 0x9003, 0x9011
_CREATOR_TOOL = re.compile(rb"CreatorTool(?:=\"|>)([^\"<]{1,200})")
_TEXT_KEYS = ("software", "creator", "creatortool", "comment", "description", "producer")
_PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?")


def edit_traces(
    data: bytes, content_type: str, *, order_created_at: datetime | None
) -> list[dict[str, str]]:
    """The traces in one file's bytes; [] for a clean file or one that cannot be read
    (the upload's own checks refuse damaged files)."""
    if content_type == "application/pdf":
        return _pdf_traces(data)
    if content_type.startswith("image/"):
        return _image_traces(data, order_created_at)
    return []


def _trace(code: str, value: str) -> dict[str, str]:
    return {"code": code, "value": value[:200]}


def _editor(text: str, editors: tuple[str, ...]) -> bool:
    lowered = text.casefold()
    return any(name in lowered for name in editors)


def _image_traces(data: bytes, order_created_at: datetime | None) -> list[dict[str, str]]:
    try:
        with Image.open(io.BytesIO(data)) as image:
            exif = image.getexif()
            info = dict(image.info)
    except (OSError, SyntaxError, ValueError):
        return []
    programs = [str(exif.get(_EXIF_SOFTWARE, ""))]
    programs += [m.decode("utf-8", "replace") for m in _CREATOR_TOOL.findall(data[: 1 << 20])]
    programs += [str(v) for k, v in info.items() if str(k).casefold() in _TEXT_KEYS]
    traces = [
        _trace("editor", p.strip()) for p in dict.fromkeys(programs) if _editor(p, IMAGE_EDITORS)
    ]
    detail = exif.get_ifd(_EXIF_IFD)
    taken = _exif_time(detail.get(_EXIF_ORIGINAL), detail.get(_EXIF_OFFSET_ORIGINAL))
    saved = _exif_time(exif.get(_EXIF_DATETIME), detail.get(_EXIF_OFFSET_ORIGINAL))
    if taken and saved and saved[0] - taken[0] > RESAVE_SLACK:
        traces.append(_trace("resaved", f"{taken[0]:%Y-%m-%d %H:%M} → {saved[0]:%Y-%m-%d %H:%M}"))
    if taken and order_created_at is not None:
        moment, zoned = taken
        if zoned:
            early = moment < order_created_at
        else:
            early = moment.replace(tzinfo=UTC) + NO_ZONE_SLACK < order_created_at
        if early:
            traces.append(_trace("before_order", f"{moment:%Y-%m-%d %H:%M}"))
    return traces


def _exif_time(value: object, offset: object) -> tuple[datetime, bool] | None:
    """An EXIF "YYYY:MM:DD HH:MM:SS" time, aware when its offset is known."""
    try:
        moment = datetime.strptime(str(value).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    try:
        zone = datetime.strptime(str(offset).strip("\x00 "), "%z").tzinfo
    except ValueError:
        return moment, False
    return moment.replace(tzinfo=zone), True


def _pdf_traces(data: bytes) -> list[dict[str, str]]:
    traces = []
    # Each incremental save appends a cross-reference section and another %%EOF; a
    # linearized ("fast web view") file is written with two sections at once.
    updates = data.count(b"%%EOF") - 1 - (b"/Linearized" in data[:2048])
    if updates > 0:
        traces.append(_trace("pdf_updates", str(updates)))
    try:
        meta = PdfReader(io.BytesIO(data)).metadata or {}
    except (PyPdfError, OSError, ValueError, KeyError, TypeError):
        return traces
    for key in ("/Producer", "/Creator"):
        program = str(meta.get(key) or "")
        if _editor(program, PDF_EDITORS):
            traces.append(_trace("pdf_editor", program.strip()))
    created = _pdf_time(meta.get("/CreationDate"))
    modified = _pdf_time(meta.get("/ModDate"))
    if created and modified and abs(modified - created) > RESAVE_SLACK:
        traces.append(
            _trace("pdf_modified", f"{created:%Y-%m-%d %H:%M} → {modified:%Y-%m-%d %H:%M}")
        )
    return traces


def _pdf_time(value: object) -> datetime | None:
    """A PDF date's wall-clock part (D:YYYYMMDDHHmmSS); the zone is ignored, both dates
    of one file are written by one program in one zone."""
    match = _PDF_DATE.match(str(value or ""))
    if not match:
        return None
    year, *rest = match.groups()
    parts = [int(year)] + [int(p) if p else d for p, d in zip(rest, (1, 1, 0, 0, 0), strict=True)]
    try:
        return datetime(*parts)
    except ValueError:
        return None
