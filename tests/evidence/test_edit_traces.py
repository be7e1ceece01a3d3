"""Edit traces read from a file's own metadata, and `voucher_edited` raised from them."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import Image, PngImagePlugin
from pypdf import PdfWriter

from evidence.edit_traces import edit_traces
from tests.factories import jpeg_bytes, pdf_bytes, png_bytes

ORDER = datetime(2024, 6, 11, 9, 0, tzinfo=UTC)


def _jpeg(**tags) -> bytes:
    image = Image.new("RGB", (64, 48), "#2a6")
    exif = Image.Exif()
    if "software" in tags:
        exif[0x0131] = tags["software"]
    if "modified" in tags:
        exif[0x0132] = tags["modified"]
    detail = exif.get_ifd(0x8769)
    if "taken" in tags:
        detail[0x9003] = tags["taken"]
    if "offset" in tags:
        detail[0x9011] = tags["offset"]
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def _png_text(key: str, value: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text(key, value)
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "#2a6").save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def _pdf(**meta) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata(meta)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def codes(data: bytes, content_type: str) -> list[str]:
    return [t["code"] for t in edit_traces(data, content_type, order_created_at=ORDER)]


@pytest.mark.parametrize(
    "data, content_type",
    [
        (png_bytes(), "image/png"),
        (jpeg_bytes(), "image/jpeg"),
        (_jpeg(software="Android 14", taken="2024:06:11 09:31:05"), "image/jpeg"),
        (_png_text("Software", "Samsung Screen Capture"), "image/png"),
        (pdf_bytes(), "application/pdf"),
    ],
)
def test_a_clean_file_has_no_traces(data, content_type):
    assert codes(data, content_type) == []


@pytest.mark.parametrize(
    "software", ["Adobe Photoshop 25.0 (Windows)", "GIMP 2.10.36", "PicsArt", "Canva"]
)
def test_an_editor_in_exif_software_is_a_trace(software):
    traces = edit_traces(_jpeg(software=software), "image/jpeg", order_created_at=ORDER)
    assert traces == [{"code": "editor", "value": software}]


def test_an_editor_in_a_png_text_chunk_is_a_trace():
    assert codes(_png_text("Software", "Snapseed 2.0"), "image/png") == ["editor"]
    assert codes(_png_text("Software", "美图秀秀"), "image/png") == ["editor"]


def test_an_editor_in_xmp_creator_tool_is_a_trace():
    xmp = b'<x:xmpmeta><rdf:Description xmp:CreatorTool="Pixelmator Pro 3.5"/></x:xmpmeta>'
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp.decode())
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "#2a6").save(out, format="PNG", pnginfo=info)
    assert "editor" in codes(out.getvalue(), "image/png")


def test_a_modification_long_after_the_shot_is_a_trace():
    data = _jpeg(taken="2024:06:11 09:31:05", modified="2024:06:11 12:02:00")
    assert codes(data, "image/jpeg") == ["resaved"]
    # Saved a minute later is one export, no trace.
    assert (
        codes(_jpeg(taken="2024:06:11 09:31:05", modified="2024:06:11 09:32:00"), "image/jpeg")
        == []
    )


def test_a_picture_taken_before_the_order_is_a_trace():
    # With its offset the time is exact; without, a day's slack for any zone.
    assert codes(_jpeg(taken="2024:06:11 08:30:00", offset="+00:00"), "image/jpeg") == [
        "before_order"
    ]
    assert codes(_jpeg(taken="2024:06:11 08:30:00"), "image/jpeg") == []
    assert codes(_jpeg(taken="2024:06:01 08:30:00"), "image/jpeg") == ["before_order"]


@pytest.mark.parametrize("producer", ["Sejda PDF Editor", "iLovePDF", "PDF-XChange Editor 9"])
def test_a_pdf_written_by_an_editor_is_a_trace(producer):
    assert codes(_pdf(**{"/Producer": producer}), "application/pdf") == ["pdf_editor"]


def test_a_pdf_modified_after_it_was_created_is_a_trace():
    data = _pdf(**{"/CreationDate": "D:20240611093105Z", "/ModDate": "D:20240612101500Z"})
    assert codes(data, "application/pdf") == ["pdf_modified"]


def test_an_incremental_update_is_a_trace():
    original = _pdf()
    # An incremental save appends a new trailer and another %%EOF after the original.
    updated = original + b"\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
    assert codes(original, "application/pdf") == []
    assert codes(updated, "application/pdf") == ["pdf_updates"]


@pytest.mark.django_db
def test_an_edited_voucher_raises_voucher_edited_and_the_api_shows_its_traces(
    service_account, django_capture_on_commit_callbacks
):
    from rest_framework.test import APIClient

    from arbitration.celery import app
    from evidence.risk import LABELS, WEIGHTS
    from evidence.services import evidence_add
    from tests.factories import open_appeal, service_token, upload

    assert "voucher_edited" in WEIGHTS and "voucher_edited" in LABELS
    appeal = open_appeal()
    eager, app.conf.task_always_eager = app.conf.task_always_eager, True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            evidence_add(
                appeal_id=appeal.pk,
                upload=upload(_jpeg(software="Adobe Photoshop 25.0"), "v.jpg"),
                party="buyer",
                kind="payment_voucher",
                actor=service_account,
            )
    finally:
        app.conf.task_always_eager = eager
    appeal.refresh_from_db()
    assert [s["code"] for s in appeal.risk_signals] == ["voucher_edited"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {service_token(service_account)}")
    body = client.get(f"/api/v1/appeals/{appeal.pk}/evidence/").json()
    assert body["results"][0]["edit_traces"] == [
        {"code": "editor", "value": "Adobe Photoshop 25.0"}
    ]
