"""Reading a voucher after upload, the sweep that catches a lost reading, corrections
(the service, the case page's form) and the risk signals that read the vouchers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Appeal, AuditEntry
from evidence import services
from evidence.models import Evidence
from evidence.risk import risk_assess
from evidence.services import evidence_add, evidence_correct, evidence_read
from evidence.tasks import sweep_extraction
from tests.factories import OrderFactory, appeal_in, open_appeal, pdf_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def eager(django_capture_on_commit_callbacks):
    from arbitration.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def add(appeal: Appeal, content: bytes, actor, *, run, kind: str = "payment_voucher") -> Evidence:
    with run(execute=True):
        return evidence_add(
            appeal_id=appeal.pk,
            upload=upload(content, "v.pdf" if content.startswith(b"%PDF") else "v.png"),
            party="buyer",
            kind=kind,
            actor=actor,
        )


def codes(appeal: Appeal) -> set[str]:
    appeal.refresh_from_db()
    return {s["code"] for s in appeal.risk_signals}


def test_an_upload_is_read_after_commit_and_the_risk_sees_it(
    service_account, django_capture_on_commit_callbacks
):
    appeal = open_appeal(order=OrderFactory(fiat_amount=Decimal("3600.00")))
    evidence = add(
        appeal,
        pdf_bytes("Amount CNY 3,500.00"),
        service_account,
        run=django_capture_on_commit_callbacks,
    )
    evidence.refresh_from_db()
    assert evidence.extracted["amount"] == "3500.00"
    assert evidence.extracted["currency"] == "CNY"
    assert evidence.extracted_at is not None
    # The reading's own on-commit assessment ran after it.
    with django_capture_on_commit_callbacks(execute=True):
        pass
    risk_assess(appeal_id=appeal.pk)
    assert "voucher_amount_mismatch" in codes(appeal)


def test_reading_twice_stores_once(service_account, django_capture_on_commit_callbacks):
    appeal = open_appeal()
    evidence = add(
        appeal, pdf_bytes("Amount 1.00"), service_account, run=django_capture_on_commit_callbacks
    )
    first = Evidence.objects.get(pk=evidence.pk).extracted_at
    assert evidence_read(evidence_id=evidence.pk) is False
    assert Evidence.objects.get(pk=evidence.pk).extracted_at == first


def test_with_ocr_off_an_image_stays_unread_and_the_sweep_leaves_it(
    service_account, django_capture_on_commit_callbacks
):
    appeal = open_appeal()
    evidence = add(appeal, png_bytes(), service_account, run=django_capture_on_commit_callbacks)
    assert Evidence.objects.get(pk=evidence.pk).extracted is None
    assert services.evidence_unread(now=timezone.now() + timedelta(days=1), limit=10) == []


def test_the_sweep_reads_what_a_lost_task_never_read(
    service_account, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.EVIDENCE_OCR = True
    monkeypatch.setattr("arbitration.jobs.enqueue_on_commit", lambda *a, **k: None)
    monkeypatch.setattr(services, "enqueue_on_commit", lambda *a, **k: None)
    appeal = open_appeal()
    evidence = add(
        appeal, png_bytes(size=(20, 20)), service_account, run=django_capture_on_commit_callbacks
    )
    assert Evidence.objects.get(pk=evidence.pk).extracted_at is None
    # Within the grace its own task may still come: the sweep leaves it. (uploaded_at is
    # history, which PostgreSQL refuses to move; the grace moves instead.)
    settings.EXTRACTION_SWEEP_GRACE_SECONDS = 3600
    assert sweep_extraction() == 0
    settings.EXTRACTION_SWEEP_GRACE_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_extraction() == 1
    evidence.refresh_from_db()
    assert evidence.extracted_at is not None
    assert evidence.extraction_note == "no_text"
    assert evidence.extracted == dict.fromkeys(evidence.extracted)
    assert sweep_extraction() == 0


def test_a_correction_is_kept_beside_the_reading_audited_and_scored(
    arbitrator, service_account, django_capture_on_commit_callbacks
):
    appeal = appeal_in(
        Appeal.Status.IN_REVIEW,
        worker=arbitrator,
        order=OrderFactory(fiat_amount=Decimal("3600.00")),
    )
    evidence = add(
        appeal,
        pdf_bytes("Amount CNY 3,600.00"),
        service_account,
        run=django_capture_on_commit_callbacks,
    )
    with django_capture_on_commit_callbacks(execute=True):
        evidence_correct(
            appeal_id=appeal.pk,
            evidence_id=evidence.pk,
            field="amount",
            value="3,000",
            actor=arbitrator,
        )
    evidence.refresh_from_db()
    assert evidence.extracted["amount"] == "3600.00"
    assert evidence.facts["amount"] == "3000.00"
    assert evidence.corrections["amount"]["by"] == arbitrator.pk
    entry = AuditEntry.objects.filter(action="evidence.corrected").get()
    assert entry.after == {"field": "amount", "value": "3000.00"}
    assert entry.before["read"] == "3600.00"
    risk_assess(appeal_id=appeal.pk)
    assert "voucher_amount_mismatch" in codes(appeal)


def test_a_voucher_dated_before_the_order_is_flagged(
    arbitrator, service_account, django_capture_on_commit_callbacks
):
    created = timezone.now()
    appeal = appeal_in(
        Appeal.Status.IN_REVIEW, worker=arbitrator, order=OrderFactory(created_at=created)
    )
    evidence = add(
        appeal, pdf_bytes("nothing"), service_account, run=django_capture_on_commit_callbacks
    )
    day = (created - timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
    evidence_correct(
        appeal_id=appeal.pk, evidence_id=evidence.pk, field="paid_at", value=day, actor=arbitrator
    )
    risk_assess(appeal_id=appeal.pk)
    assert "voucher_time_mismatch" in codes(appeal)
    # Hours off only by a time zone are not a mismatch.
    near = (created + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    evidence_correct(
        appeal_id=appeal.pk, evidence_id=evidence.pk, field="paid_at", value=near, actor=arbitrator
    )
    risk_assess(appeal_id=appeal.pk)
    assert "voucher_time_mismatch" not in codes(appeal)


def test_the_payer_read_from_a_voucher_is_compared_with_the_kyc_name(
    arbitrator, service_account, django_capture_on_commit_callbacks
):
    appeal = appeal_in(Appeal.Status.IN_REVIEW, worker=arbitrator)
    evidence = add(
        appeal,
        pdf_bytes("Payer: Someone Else"),
        service_account,
        run=django_capture_on_commit_callbacks,
    )
    assert Evidence.objects.get(pk=evidence.pk).extracted["payer_name"] == "Someone Else"
    risk_assess(appeal_id=appeal.pk)
    assert "payer_name_mismatch" in codes(appeal)


def _post(client, appeal, evidence, **data):
    return client.post(
        reverse("cases:case_correct_evidence", args=[appeal.pk]),
        {"evidence": evidence.pk, **data},
    )


@pytest.mark.parametrize(
    "data",
    [
        {"field": "amount", "value": "three thousand"},
        {"field": "amount", "value": "-5"},
        {"field": "currency", "value": "dollars"},
        {"field": "paid_at", "value": "yesterday"},
        {"field": "text", "value": "anything"},
        {"field": "colour", "value": "red"},
    ],
)
def test_the_correction_form_refuses_bad_input(
    client, arbitrator, service_account, nothing_written, data, django_capture_on_commit_callbacks
):
    appeal = appeal_in(Appeal.Status.IN_REVIEW, worker=arbitrator)
    evidence = add(
        appeal, pdf_bytes("Amount 1.00"), service_account, run=django_capture_on_commit_callbacks
    )
    client.force_login(arbitrator)
    with nothing_written():
        response = _post(client, appeal, evidence, **data)
    assert response.status_code == 400


def test_a_role_without_rights_cannot_correct(
    client,
    arbitrator,
    arbitrator2,
    auditor,
    service_account,
    nothing_written,
    django_capture_on_commit_callbacks,
):
    appeal = appeal_in(Appeal.Status.IN_REVIEW, worker=arbitrator)
    evidence = add(
        appeal, pdf_bytes("Amount 1.00"), service_account, run=django_capture_on_commit_callbacks
    )
    for user, status in ((auditor, 403), (arbitrator2, 403)):
        client.force_login(user)
        with nothing_written():
            assert _post(client, appeal, evidence, field="amount", value="2").status_code == status


def test_the_handler_corrects_from_the_case_page(
    client, arbitrator, service_account, django_capture_on_commit_callbacks
):
    appeal = appeal_in(Appeal.Status.IN_REVIEW, worker=arbitrator)
    evidence = add(
        appeal, pdf_bytes("Amount 1.00"), service_account, run=django_capture_on_commit_callbacks
    )
    client.force_login(arbitrator)
    page = client.get(reverse("cases:case", args=[appeal.pk]))
    assert b"Correct what was read" in page.content
    response = _post(client, appeal, evidence, field="currency", value="usd")
    assert response.status_code == 302
    assert Evidence.objects.get(pk=evidence.pk).facts["currency"] == "USD"
    page = client.get(reverse("cases:case", args=[appeal.pk]))
    assert "corrected by arbitrator" in page.content.decode()


def test_the_api_carries_extracted_as_the_contract_says(
    client,
    arbitrator,
    service_account,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    appeal = open_appeal()
    add(appeal, pdf_bytes("Amount 1.00"), service_account, run=django_capture_on_commit_callbacks)
    add(appeal, png_bytes(), service_account, run=django_capture_on_commit_callbacks)
    client.force_login(arbitrator)
    with django_assert_max_num_queries(12):
        body = client.get(f"/api/v1/appeals/{appeal.pk}/evidence/").json()
    by_type = {row["content_type"]: row["extracted"] for row in body["results"]}
    assert set(by_type["application/pdf"]) == {
        "amount",
        "currency",
        "payer_name",
        "paid_at",
        "reference",
        "text",
    }
    assert by_type["application/pdf"]["amount"] == "1.00"
    assert by_type["image/png"] is None
