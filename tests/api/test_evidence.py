"""POST and GET /api/v1/appeals/{id}/evidence/, including hostile uploads.

Every refused upload must answer 4xx saying why and leave nothing behind: no Evidence
row, no audit entry, no status change, and no file in the evidence storage.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from cases.models import Appeal
from evidence.models import Evidence, evidence_storage
from tests.factories import (
    appeal_in,
    jpeg_bytes,
    open_appeal,
    pdf_bytes,
    png_bomb,
    png_bytes,
    webp_bytes,
)

from .payloads import API, ISO_WITH_OFFSET, assert_error

pytestmark = pytest.mark.django_db

MiB = 1024 * 1024


def url(appeal: Appeal) -> str:
    return f"{API}/appeals/{appeal.pk}/evidence/"


def form(content: bytes, name: str = "voucher.png", **fields: str) -> dict:
    return {
        "file": SimpleUploadedFile(name, content),
        "party": "buyer",
        "kind": "payment_voucher",
        **fields,
    }


def stored_files(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file()] if directory.exists() else []


@pytest.fixture
def appeal():
    return open_appeal()


def test_evidence_is_stored_in_the_tests_own_directory(evidence_dir):
    # Overriding STORAGES resets Django's cached backends (django.test.signals).
    assert Path(evidence_storage().location) == evidence_dir


# --- accepted -----------------------------------------------------------------------------


def test_it_stores_a_voucher_with_201(service_api, appeal, evidence_dir):
    content = png_bytes()
    sha256 = hashlib.sha256(content).hexdigest()

    response = service_api.post(
        url(appeal),
        form(content, note="Alipay receipt", payer_name="LI LEI"),
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert isinstance(body["id"], int)
    assert body["sha256"] == sha256
    assert body["size"] == len(content)
    assert body["content_type"] == "image/png"
    assert ISO_WITH_OFFSET.match(body["uploaded_at"])
    evidence = Evidence.objects.get(pk=body["id"])
    assert (evidence.appeal, evidence.party, evidence.kind) == (appeal, "buyer", "payment_voucher")
    assert (evidence.payer_name, evidence.note) == ("LI LEI", "Alipay receipt")
    blob = evidence_dir / sha256[:2] / sha256[2:4] / f"{sha256}.png"
    assert stored_files(evidence_dir) == [blob]
    assert blob.read_bytes() == content


@pytest.mark.parametrize(
    ("make", "content_type"),
    [
        (png_bytes, "image/png"),
        (jpeg_bytes, "image/jpeg"),
        (webp_bytes, "image/webp"),
        (pdf_bytes, "application/pdf"),
    ],
)
def test_the_type_is_judged_by_the_bytes_not_the_name(service_api, appeal, make, content_type):
    response = service_api.post(url(appeal), form(make(), name="scan.txt"), format="multipart")

    assert response.status_code == 201, response.json()
    assert response.json()["content_type"] == content_type


def test_the_uploaded_name_is_never_a_path(service_api, appeal, evidence_dir):
    content = png_bytes()

    response = service_api.post(
        url(appeal), form(content, name="../../../etc/cron.d/evil.png"), format="multipart"
    )

    assert response.status_code == 201
    sha256 = hashlib.sha256(content).hexdigest()
    assert [p.name for p in stored_files(evidence_dir)] == [f"{sha256}.png"]
    assert all(evidence_dir in p.parents for p in stored_files(evidence_dir))


def test_the_same_file_twice_is_two_pieces_of_evidence_sharing_one_blob(
    service_api, appeal, evidence_dir
):
    content = pdf_bytes()

    first = service_api.post(url(appeal), form(content, name="a.pdf"), format="multipart")
    second = service_api.post(
        url(appeal), form(content, name="b.pdf", party="seller"), format="multipart"
    )

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["sha256"] == second.json()["sha256"]
    assert Evidence.objects.count() == 2
    assert len(stored_files(evidence_dir)) == 1


def test_it_lists_an_appeals_evidence(service_api, appeal):
    ids = [
        service_api.post(url(appeal), form(make()), format="multipart").json()["id"]
        for make in (png_bytes, pdf_bytes)
    ]
    other = open_appeal()
    service_api.post(url(other), form(jpeg_bytes()), format="multipart")

    response = service_api.get(url(appeal))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert sorted(e["id"] for e in body["results"]) == sorted(ids)
    for item in body["results"]:
        assert set(item) >= {"id", "sha256", "size", "content_type", "party", "kind"}


def test_evidence_from_the_party_asked_puts_the_case_back_in_review(service_api):
    appeal = appeal_in("awaiting_evidence")  # evidence requested from the seller

    response = service_api.post(url(appeal), form(pdf_bytes(), party="seller"), format="multipart")

    assert response.status_code == 201
    assert Appeal.objects.get(pk=appeal.pk).status == "in_review"


# --- refused, nothing left behind ---------------------------------------------------------


def test_an_unknown_appeal_is_404(service_api, evidence_dir):
    assert_error(service_api.get(f"{API}/appeals/999999/evidence/"), 404)
    response = service_api.post(
        f"{API}/appeals/999999/evidence/", form(png_bytes()), format="multipart"
    )
    assert_error(response, 404)
    assert stored_files(evidence_dir) == []


@pytest.mark.parametrize(("field", "value"), [("party", "bank"), ("kind", "selfie")])
def test_a_bad_field_is_named(service_api, appeal, evidence_dir, nothing_written, field, value):
    with nothing_written():
        response = service_api.post(
            url(appeal), form(png_bytes(), **{field: value}), format="multipart"
        )

    assert_error(response, 400, field)
    assert stored_files(evidence_dir) == []


def test_a_missing_file_is_named(service_api, appeal, nothing_written):
    with nothing_written():
        response = service_api.post(
            url(appeal), {"party": "buyer", "kind": "other"}, format="multipart"
        )

    assert_error(response, 400, "file")


def test_json_is_not_an_upload(service_api, appeal, nothing_written):
    with nothing_written():
        response = service_api.post(
            url(appeal), {"party": "buyer", "kind": "other", "file": "aGVsbG8="}, format="json"
        )

    assert_error(response, 415)


def test_evidence_is_locked_once_the_verdict_took_effect(
    service_api, evidence_dir, nothing_written
):
    appeal = appeal_in("resolved")

    with nothing_written():
        response = service_api.post(url(appeal), form(png_bytes()), format="multipart")

    assert_error(response, 409)
    assert stored_files(evidence_dir) == []


def _truncated_png() -> bytes:
    whole = png_bytes(size=(400, 300))
    return whole[: len(whole) // 2]


def _pdf_without_eof() -> bytes:
    content = pdf_bytes()
    assert b"%%EOF" in content
    return content.replace(b"%%EOF", b"")


HOSTILE = {
    "windows_exe_named_png": (
        lambda: (
            b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"This program cannot be run "
            b"in DOS mode.\r\r\n$" + b"\x00" * 512
        ),
        "voucher.png",
        "Only PNG, JPEG, WebP and PDF",
    ),
    "svg_with_script": (
        lambda: (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
            b"<script>fetch('/api/v1/appeals/').then(r=>r.text()).then(alert)</script></svg>"
        ),
        "voucher.svg",
        "Only PNG, JPEG, WebP and PDF",
    ),
    "svg_named_png": (
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "voucher.png",
        "Only PNG, JPEG, WebP and PDF",
    ),
    "html": (
        lambda: b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>",
        "receipt.html",
        "Only PNG, JPEG, WebP and PDF",
    ),
    "empty_file": (lambda: b"", "voucher.png", "empty"),
    "truncated_png": (_truncated_png, "voucher.png", "damaged"),
    "png_header_then_garbage": (
        lambda: b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 100,
        "voucher.png",
        "damaged",
    ),
    "decompression_bomb_20000x20000": (png_bomb, "voucher.png", "pixels"),
    "pdf_without_eof": (_pdf_without_eof, "statement.pdf", "truncated"),
}


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
def test_a_hostile_upload_is_refused_saying_why_and_leaves_nothing(
    service_api, appeal, evidence_dir, nothing_written, case
):
    make, name, why = HOSTILE[case]

    with nothing_written():
        response = service_api.post(url(appeal), form(make(), name=name), format="multipart")

    body = assert_error(response, 400, "file")
    assert why.lower() in body["errors"]["file"][0].lower(), body
    assert not Evidence.objects.exists()
    assert stored_files(evidence_dir) == []
    assert Appeal.objects.get(pk=appeal.pk).status == "open"


def test_the_bomb_is_a_tiny_file_and_the_answer_names_the_limit(service_api, appeal, settings):
    content = png_bomb()
    assert len(content) < 100 * 1024

    body = service_api.post(url(appeal), form(content), format="multipart").json()

    assert body["errors"]["file"][0].count("pixels")
    assert f"{settings.EVIDENCE_MAX_PIXELS:,}" in body["errors"]["file"][0]


def test_an_image_just_over_the_pixel_limit_is_refused_naming_its_size(
    service_api, appeal, settings, evidence_dir
):
    # Below Pillow's own bomb threshold, the service's limit is what refuses it.
    settings.EVIDENCE_MAX_PIXELS = 100 * 100
    response = service_api.post(url(appeal), form(png_bytes(size=(101, 100))), format="multipart")

    body = assert_error(response, 400, "file")
    assert "101x100" in body["errors"]["file"][0]
    assert "10,000" in body["errors"]["file"][0]
    assert stored_files(evidence_dir) == []


@pytest.mark.parametrize(
    "size",
    [
        pytest.param(10 * MiB + 1, id="one_byte_over_10MiB"),
        pytest.param(11 * MiB, id="11MiB"),
    ],
)
def test_an_oversized_upload_is_stopped_by_the_guard(
    service_api, appeal, evidence_dir, nothing_written, size
):
    content = b"\x89PNG\r\n\x1a\n" + b"\x00" * (size - 8)
    assert len(content) == size

    with nothing_written():
        response = service_api.post(url(appeal), form(content), format="multipart")

    # 413 with code too_large comes only from the streaming guard (evidence/uploads.py);
    # the service's own check would answer 400 after the whole file was buffered.
    body = assert_error(response, 413, "file")
    assert body["code"] == "too_large"
    assert "10 MiB" in body["errors"]["file"][0]
    assert stored_files(evidence_dir) == []


def test_exactly_10MiB_is_accepted(service_api, appeal, evidence_dir):
    image = pdf_bytes()
    # Padded with a PDF comment line so that %%EOF stays in the file's last bytes.
    pad = 10 * MiB - len(image) - 2
    content = image.replace(b"%%EOF", b"%" + b"x" * pad + b"\n%%EOF", 1)
    assert len(content) == 10 * MiB

    response = service_api.post(url(appeal), form(content, name="big.pdf"), format="multipart")

    assert response.status_code == 201, response.json()
    assert response.json()["size"] == 10 * MiB


def test_an_oversized_upload_in_a_browser_session_is_refused_too(
    arbitrator, appeal, evidence_dir, nothing_written
):
    # A browser session is CSRF-checked, and the check reads the form body: the streaming
    # guard must be in place before authentication, or the whole file is read first.
    client = APIClient(enforce_csrf_checks=True)
    client.get("/accounts/login/")  # the login page sets the CSRF cookie
    client.force_login(arbitrator)
    token = client.cookies["csrftoken"].value
    content = b"%PDF-1.7\n" + b"\x00" * (11 * MiB)

    with nothing_written():
        response = client.post(
            url(appeal), form(content, name="big.pdf"), format="multipart", HTTP_X_CSRFTOKEN=token
        )

    body = assert_error(response, 413, "file")
    assert body["code"] == "too_large"
    assert "10 MiB" in body["errors"]["file"][0]
    assert stored_files(evidence_dir) == []
