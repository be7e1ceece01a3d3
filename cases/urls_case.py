from __future__ import annotations

from django.urls import path

from .views import case

urlpatterns = [
    path("cases/<int:pk>/", case.case_page, name="case"),
    path("cases/<int:pk>/changes", case.case_changes, name="case_changes"),
    path("cases/<int:pk>/evidence/<int:eid>/file", case.evidence_file, name="evidence_file"),
    path("cases/<int:pk>/claim", case.claim, name="case_claim"),
    path("cases/<int:pk>/assign", case.assign, name="case_assign"),
    path("cases/<int:pk>/unassign", case.unassign, name="case_unassign"),
    path("cases/<int:pk>/request-evidence", case.request_evidence, name="case_request_evidence"),
    path("cases/<int:pk>/notes", case.note, name="case_note"),
    path("cases/<int:pk>/record-answer", case.record_answer, name="case_record_answer"),
    path("cases/<int:pk>/evidence", case.upload, name="case_upload"),
    path("cases/<int:pk>/evidence/correct", case.correct_evidence, name="case_correct_evidence"),
    path("cases/<int:pk>/escalate", case.escalate, name="case_escalate"),
    path("cases/<int:pk>/verdict", case.verdict, name="case_verdict"),
    path("cases/<int:pk>/verdict/check", case.verdict_check, name="case_verdict_check"),
    path("cases/<int:pk>/verdicts/<int:vid>/approve", case.approve, name="case_approve"),
    path("cases/<int:pk>/verdicts/<int:vid>/send-back", case.send_back, name="case_send_back"),
    path("cases/<int:pk>/cancel", case.cancel, name="case_cancel"),
    path("cases/<int:pk>/message", case.message, name="case_message"),
    path("cases/<int:pk>/review/assign", case.review_assign, name="case_review_assign"),
    path("cases/<int:pk>/review/decide", case.review_decide, name="case_review_decide"),
    path("cases/<int:pk>/review/approve", case.reversal_approve, name="case_reversal_approve"),
    path(
        "cases/<int:pk>/review/send-back",
        case.reversal_send_back,
        name="case_reversal_send_back",
    ),
    path("reviews/", case.reviews, name="reviews"),
]
