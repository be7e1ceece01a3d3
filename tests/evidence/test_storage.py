"""Storing evidence: judged by its bytes, filed by its hash, refused without a trace."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.files.storage import storages

from arbitration.exceptions import Conflict, InvalidInput
from cases.models import Appeal, AuditEntry
from evidence.models import Evidence
from evidence.services import evidence_add
from tests.factories import (
    appeal_in,
    jpeg_bytes,
    open_appeal,
    pdf_bytes,
    png_bomb,
    png_bytes,
    upload,
    webp_bytes,
)

pytestmark = pytest.mark.django_db

S = Appeal.Status
MiB = 1024 * 1024


def add(appeal: Appeal, content: bytes, name: str = "voucher.png", **fields) -> Evidence:
    fields = {"party": "buyer", "kind": "payment_voucher", "actor": None, **fields}
    return evidence_add(
        appeal_id=appeal.pk, upload=upload(content, name), original_name=name, **fields
    )


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def appeal() -> Appeal:
    return open_appeal()


# --- accepted -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "content_type", "ext"),
    [
        (png_bytes, "image/png", "png"),
        (jpeg_bytes, "image/jpeg", "jpg"),
        (webp_bytes, "image/webp", "webp"),
        (pdf_bytes, "application/pdf", "pdf"),
    ],
)
def test_accepted_types_are_filed_under_their_sha256(
    make, content_type, ext, appeal, service_account, evidence_dir
):
    content = make()
    sha256 = hashlib.sha256(content).hexdigest()

    evidence = add(
        appeal,
        content,
        name="IMG_2041.HEIC",
        actor=service_account,
        note="the receipt",
        payer_name="Li Wei",
    )

    assert evidence.file.name == f"{sha256[:2]}/{sha256[2:4]}/{sha256}.{ext}"
    assert (evidence.sha256, evidence.size, evidence.content_type) == (
        sha256,
        len(content),
        content_type,
    )
    assert evidence.original_name == "IMG_2041.HEIC"
    assert (evidence.note, evidence.payer_name, evidence.uploaded_by) == (
        "the receipt",
        "Li Wei",
        service_account,
    )
    assert stored_files(evidence_dir) == [evidence_dir / evidence.file.name]
    assert (evidence_dir / evidence.file.name).read_bytes() == content
    with evidence.file.open("rb") as stored:
        assert stored.read() == content
    entry = AuditEntry.objects.get(action="evidence.added")
    assert (entry.after["sha256"], entry.appeal_id) == (sha256, appeal.pk)


def test_an_image_gets_its_size_and_a_difference_hash(appeal):
    evidence = add(appeal, png_bytes(size=(120, 80)))
    assert (evidence.width, evidence.height) == (120, 80)
    assert len(evidence.image_hash) == 16
    int(evidence.image_hash, 16)
    assert evidence.is_image


def test_a_pdf_has_no_image_fields(appeal):
    evidence = add(appeal, pdf_bytes(), name="statement.pdf")
    assert (evidence.width, evidence.height, evidence.image_hash) == (None, None, "")
    assert not evidence.is_image


@pytest.mark.parametrize(
    "hostile", ["../../etc/passwd.png", "/etc/passwd.png", "..\\..\\boot.ini.png", "C:\\x.png"]
)
def test_the_uploaded_name_is_never_a_path(hostile, appeal, evidence_dir):
    content = png_bytes()
    sha256 = hashlib.sha256(content).hexdigest()

    evidence = add(appeal, content, name=hostile)

    assert evidence.file.name == f"{sha256[:2]}/{sha256[2:4]}/{sha256}.png"
    assert evidence.original_name == hostile  # kept as text, for staff to read
    assert stored_files(evidence_dir) == [evidence_dir / evidence.file.name]
    assert not (evidence_dir.parent / "etc").exists()


def test_the_same_file_twice_shares_one_blob(appeal, evidence_dir):
    content = png_bytes()
    first = add(appeal, content, party="buyer")
    second = add(appeal, content, party="seller", name="copy.png")

    assert first.pk != second.pk
    assert first.file.name == second.file.name
    assert len(stored_files(evidence_dir)) == 1


def test_a_plain_file_object_is_accepted_too(appeal):
    content = png_bytes()
    evidence = evidence_add(
        appeal_id=appeal.pk, upload=io.BytesIO(content), party="seller", kind="other", actor=None
    )
    assert evidence.size == len(content)


def test_evidence_is_accepted_while_a_verdict_waits_for_approval():
    appeal = appeal_in(S.PENDING_APPROVAL)
    assert add(appeal, png_bytes()).appeal == appeal


# --- refused ------------------------------------------------------------------------------

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
MZ = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def truncated_png() -> bytes:
    content = png_bytes(size=(300, 300))
    return content[: len(content) // 2]


def damaged_png() -> bytes:
    content = bytearray(png_bytes(size=(300, 300)))
    content[60:80] = b"\xff" * 20  # inside the image data: the checksum no longer matches
    return bytes(content)


REFUSED = {
    "elf executable": lambda: ELF,
    "windows executable": lambda: MZ,
    "svg": lambda: SVG,
    "html": lambda: HTML,
    "plain text": lambda: b"I paid, honestly.",
    "empty": lambda: b"",
    "truncated png": truncated_png,
    "damaged png": damaged_png,
    "png header only": lambda: b"\x89PNG\r\n\x1a\n",
    "truncated pdf": lambda: pdf_bytes()[:-200],
    "png bomb": png_bomb,  # 20000x20000: Pillow itself calls it a decompression bomb
    "png bomb below pillow's limit": lambda: png_bomb(10_000, 6_000),  # 60 Mpx > our 50 Mpx
}


@pytest.fixture
def nothing_stored(evidence_dir, nothing_written):
    """`with nothing_stored(), pytest.raises(...)`: a refused upload leaves no file, no
    evidence row, no audit entry, no change to the appeal."""

    @contextmanager
    def check() -> Iterator[None]:
        with nothing_written():
            yield
        assert stored_files(evidence_dir) == []
        assert not Evidence.objects.exists()

    return check


@pytest.mark.parametrize("make", REFUSED.values(), ids=REFUSED.keys())
def test_refused_files_leave_nothing_behind(make, appeal, nothing_stored):
    with nothing_stored(), pytest.raises(InvalidInput) as refused:
        add(appeal, make(), name="voucher.png")
    assert refused.value.field == "file"


def test_a_file_over_the_limit_is_refused(appeal, settings, nothing_stored):
    settings.EVIDENCE_MAX_BYTES = 10_000
    content = png_bytes(size=(400, 400))
    padded = content + b"\x00" * (10_001 - len(content))
    with nothing_stored(), pytest.raises(InvalidInput, match="larger"):
        add(appeal, padded)


def test_a_file_at_the_limit_is_accepted(appeal, settings):
    content = pdf_bytes()
    settings.EVIDENCE_MAX_BYTES = len(content)
    assert add(appeal, content).size == len(content)


def test_an_eleven_mib_file_is_refused(appeal, nothing_stored):
    content = pdf_bytes()
    huge = content[:-6] + b"\n" + b"%" * (11 * MiB) + b"\n%%EOF\n"
    with nothing_stored(), pytest.raises(InvalidInput, match="10 MiB"):
        add(appeal, huge, name="statement.pdf")


def test_an_image_over_the_pixel_limit_is_refused(appeal, settings, nothing_stored):
    settings.EVIDENCE_MAX_PIXELS = 100 * 100
    with nothing_stored(), pytest.raises(InvalidInput, match="pixels"):
        add(appeal, png_bytes(size=(101, 100)))


@pytest.mark.parametrize("field", ["party", "kind"])
def test_bad_metadata_is_refused(field, appeal, nothing_stored):
    with nothing_stored(), pytest.raises(InvalidInput) as refused:
        add(appeal, png_bytes(), **{field: "judge"})
    assert refused.value.field == field


# --- locked -------------------------------------------------------------------------------


def test_evidence_is_locked_once_a_verdict_takes_effect(nothing_stored):
    appeal = appeal_in(S.RESOLVED)
    with nothing_stored(), pytest.raises(Conflict):
        add(appeal, png_bytes())


def test_a_cancelled_appeal_takes_no_evidence(nothing_stored):
    appeal = appeal_in(S.CANCELLED)
    with nothing_stored(), pytest.raises(Conflict):
        add(appeal, png_bytes())


def test_a_locked_appeal_keeps_a_blob_it_shares_with_another(evidence_dir):
    content = png_bytes()
    add(open_appeal(), content)
    with pytest.raises(Conflict):
        add(appeal_in(S.RESOLVED), content)
    assert len(stored_files(evidence_dir)) == 1


@pytest.mark.parametrize("role", ["auditor", "risk_analyst"])
def test_read_only_staff_cannot_add_evidence(role, appeal, make_user, nothing_stored):
    """Auditors are read-only and risk analysts only read: they never add to a case file."""
    from arbitration.exceptions import NotAllowed

    with nothing_stored(), pytest.raises(NotAllowed):
        add(appeal, png_bytes(), actor=make_user(role))


# --- the test plumbing itself -------------------------------------------------------------


def test_evidence_goes_to_a_temporary_directory(evidence_dir, appeal, settings):
    evidence = add(appeal, png_bytes())
    assert Path(storages["evidence"].location) == evidence_dir
    assert Path(evidence.file.path).is_relative_to(evidence_dir)
    assert not Path(evidence.file.path).is_relative_to(Path(settings.BASE_DIR) / "media")
