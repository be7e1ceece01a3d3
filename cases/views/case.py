"""The case page and its actions.

Each action view parses one form and calls one lifecycle function; the page offers what
the lifecycle's guards allow, and the lifecycle asks them again under its lock.
State-changing forms carry `seen` (the appeal's updated_at when the page was drawn),
passed on as `expected_updated_at`: if the case changed since, the lifecycle refuses under
its own lock and the page says what changed, so of two people acting at once one
succeeds and the other sees the fresh state and a clear message.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from django import forms as djforms
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from arbitration.exceptions import DomainError
from arbitration.formatting import compact_duration
from arbitration.permissions import staff_required
from cases import lifecycle, roles
from cases.explanations import verdict_explain
from cases.forms import (
    ApproveForm,
    AssignForm,
    CancelForm,
    ClaimForm,
    EscalateForm,
    EvidenceCorrectionForm,
    EvidenceUploadForm,
    MessageForm,
    NoteForm,
    RecordAnswerForm,
    RequestEvidenceForm,
    ReversalApproveForm,
    ReversalSendBackForm,
    ReviewAssignForm,
    ReviewDecideForm,
    SendBackForm,
    UnassignForm,
    VerdictForm,
)
from cases.languages import party_ui_language
from cases.models import AccountAction, Appeal, Party, Rule, Verdict, WatchKeyword
from cases.penalties import most_severe, penalty_suggest
from cases.replies import replies_rendered
from cases.selectors import case as selectors
from cases.templatetags.desk_ui import amount, chat_html
from cases.views.queue import open_next_case
from evidence.models import Evidence, evidence_storage
from evidence.services import EXTENSIONS, evidence_add, evidence_correct
from evidence.uploads import SizeLimitHandler

logger = logging.getLogger(__name__)


def case_url(appeal: Appeal, anchor: str = "") -> str:
    return appeal.get_absolute_url() + (f"#{anchor}" if anchor else "")


# --- the page -----------------------------------------------------------------------------


def _amount(appeal: Appeal) -> str:
    """The escrowed amount as the appeal froze it when it opened, with thousands
    separated as on the queue ("25,000 USDT")."""
    return f"{amount(appeal.crypto_amount)} {appeal.asset}"


def _replies(appeal: Appeal) -> dict[str, list[dict[str, str]]]:
    """Canned replies per party, in the party's language, with the variables filled."""
    deadline = appeal.evidence_due_at or lifecycle.evidence_due_default()
    return replies_rendered(appeal, deadline=deadline)


def _penalties(appeal: Appeal) -> dict[str, dict[str, Any]]:
    """The penalty matrix's suggestion per responsible-party choice, for the verdict form."""
    suggestions = dict(penalty_suggest(appeal, Verdict.ResponsibleParty.BOTH))
    if suggestions:
        suggestions[Verdict.ResponsibleParty.BOTH] = most_severe(list(suggestions.values()))
    return {
        side: {
            "kind": penalty.kind,
            "days": penalty.days,
            "label": penalty.label,
            "repeat": penalty.repeat,
            "note": penalty.note,
        }
        for side, penalty in suggestions.items()
    }


def _explanations(verdict: Verdict, appeal: Appeal) -> list[dict[str, str]]:
    """Plain-language explanations for both parties, in their language, with English for
    the arbitrator when that differs."""
    out = []
    for side in Party.values:
        trader = appeal.order.party(side)
        # The language the text is written in: the party's, if the desk writes it.
        language = party_ui_language(trader.language)
        text = verdict_explain(verdict, side, language)
        english = verdict_explain(verdict, side, "en")
        out.append(
            {
                "side": Party(side).label,
                "name": trader.display_name,
                "language": language,
                "text": text,
                "english": english if english != text else "",
            }
        )
    return out


def _forms(
    appeal: Appeal, ctx: dict[str, Any], bound: dict[str, djforms.Form]
) -> dict[str, djforms.Form]:
    can = ctx["can"]
    made: dict[str, djforms.Form] = {}
    if can.claim:
        made["claim"] = ClaimForm()
    if can.unassign:
        made["unassign"] = UnassignForm()
    if can.assign:
        made["assign"] = AssignForm(
            assignees=selectors.workers(escalations=appeal.status == Appeal.Status.ESCALATED),
            initial={"assignee": appeal.assignee_id},
        )
    if can.request_evidence:
        made["request_evidence"] = RequestEvidenceForm(
            initial={"party": appeal.evidence_requested_from or _other(appeal.opened_by)}
        )
    if can.note:
        made["note"] = NoteForm()
    if can.upload:
        made["upload"] = EvidenceUploadForm()
    if can.escalate:
        made["escalate"] = EscalateForm()
    if can.decide:
        made["correct_evidence"] = EvidenceCorrectionForm()
        usual, other = selectors.rules_for(appeal)
        made["verdict"] = VerdictForm(usual=usual, other=other)
    if can.send_back:
        made["send_back"] = SendBackForm()
    if can.cancel:
        made["cancel"] = CancelForm()
    if can.message:
        made["message"] = MessageForm()
    if can.record_answer:
        made["record_answer"] = RecordAnswerForm(parties=can.record_answer)
    if can.review_assign:
        made["review_assign"] = ReviewAssignForm(reviewers=selectors.workers(escalations=True))
    if can.review_decide:
        made["review_decide"] = ReviewDecideForm()
    if can.review_approve:
        made["reversal_approve"] = ReversalApproveForm()
        made["reversal_send_back"] = ReversalSendBackForm()
    # A refused form comes back with what was typed, but only if its action is still
    # open to this user in the case's fresh state (the loser of a claim race gets no
    # Claim button back).
    made.update({name: form for name, form in bound.items() if name in made})
    return made


def _other(side: str) -> str:
    return Party.SELLER if side == Party.BUYER else Party.BUYER


def render_case(
    request: HttpRequest,
    pk: int,
    *,
    bound: dict[str, djforms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The case page from fresh database state; `bound` forms (with the user's input and
    errors) replace the blank ones after a refused action."""
    appeal = selectors.case_appeal(pk)
    ctx = selectors.case_page(appeal, request.user)
    q = request.GET.get("q", "").strip()[:200]
    ctx.update(_chat(appeal, q=q, whole=request.GET.get("chat") == "all"))
    can = ctx["can"]
    ctx["forms"] = _forms(appeal, ctx, bound or {})
    ctx["bound_key"] = next(iter(bound), "") if bound else ""
    ctx["amount"] = _amount(appeal)
    if can.message or can.request_evidence:
        ctx["replies"] = _replies(appeal)
    if can.decide:
        ctx["penalties"] = _penalties(appeal)
    if can.review_assign:
        ctx["eligible_reviewers"] = list(lifecycle.review_eligible_reviewers(appeal))
    verdict = ctx["effective_verdict"] or ctx["pending_verdict"]
    if verdict is not None:
        ctx["explanations"] = _explanations(verdict, appeal)
    ctx["tz"] = timezone.get_current_timezone_name()
    return render(request, "cases/case.html", ctx, status=status)


# A rendered thread is reused while the order's chat and desk messages are unchanged
# (selectors.chat_version). The bound covers what the key cannot see: a renamed service
# account or staff member in the "via" and "by" labels.
CHAT_TTL = 300


def _chat(appeal: Appeal, *, q: str, whole: bool) -> dict[str, Any]:
    """The chat section's context: `chat_html` (the thread's lines), its counts and the
    last party message, from the cache while the thread is unchanged. A search (`q`) is
    not cached; a fresh render also puts the lines in the context as `chat`."""
    limit = None if whole else selectors.CHAT_PAGE
    pattern = WatchKeyword.pattern()
    key = ""
    if not q:
        key = "chat:" + ":".join(
            str(part)
            for part in (
                appeal.order_id,
                limit,
                *selectors.chat_version(appeal.order_id),
                translation.get_language(),
                timezone.get_current_timezone_name(),
                hashlib.sha256((pattern.pattern if pattern else "").encode()).hexdigest()[:16],
            )
        )
        try:
            hit = cache.get(key)
        except Exception:
            logger.exception("cache unavailable for the chat of #%s", appeal.pk)
            hit, key = None, ""
        if hit is not None:
            return {**hit, "chat_q": q}
    thread = selectors.chat_lines(appeal, q=q, limit=limit, pattern=pattern)
    section = {
        "chat_html": chat_html(thread.lines),
        "chat_total": thread.total,
        "chat_earlier": thread.earlier,
        "last_party_message": thread.last_party,
    }
    if key:
        try:
            cache.set(key, section, CHAT_TTL)
        except Exception:
            logger.exception("cache unavailable for the chat of #%s", appeal.pk)
    return {**section, "chat": thread.lines, "chat_q": q}


@require_GET
@staff_required
def case_page(request: HttpRequest, pk: int) -> HttpResponse:
    return render_case(request, pk)


# htmx stops polling on this status (the session ended: nothing to watch).
STOP_POLLING = 286


@require_GET
def case_changes(request: HttpRequest, pk: int) -> HttpResponse:
    """The open case page's poll: has someone else acted on this case since the page was
    drawn (audit entry `seq`)? 204 when not; else the banner saying who did what, how
    long ago, with a reload button. One audit query (and one for the actor's name) on
    top of the session's."""
    user = request.user
    if not user.is_authenticated or not roles.is_staff_member(user):
        return HttpResponse(status=STOP_POLLING)
    try:
        seq = int(request.GET.get("seq", ""))
    except ValueError:
        return HttpResponse(_("seq must be a number."), status=400, content_type="text/plain")
    change = selectors.case_changes(pk, seq, user)
    if change is None:
        return HttpResponse(status=204)
    ago = compact_duration(max(0, int((timezone.now() - change.at).total_seconds())))
    text = _("%(what)s %(ago)s ago — reload to see.") % {"what": change.sentence, "ago": ago}
    if change.more:
        text += " " + ngettext(
            "(And %(n)d more change.)", "(And %(n)d more changes.)", change.more
        ) % {"n": change.more}
    return render(
        request,
        "cases/partials/case_changed.html",
        {"text": text, "url": reverse("cases:case", args=[pk])},
    )


# --- evidence files -----------------------------------------------------------------------


@require_GET
@staff_required
def evidence_file(request: HttpRequest, pk: int, eid: int) -> HttpResponse:
    """Evidence is never public: streamed to staff only, under a name we choose, with the
    type we sniffed at upload, never sniffed again by the browser."""
    evidence = get_object_or_404(Evidence, pk=eid, appeal_id=pk)
    try:
        handle = evidence_storage().open(evidence.file.name, "rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    extension = EXTENSIONS.get(evidence.content_type, "bin")
    response = FileResponse(
        handle,
        content_type=evidence.content_type,
        as_attachment=False,
        filename=f"evidence-{evidence.pk}.{extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    # A party's document: never kept in any cache (cases.middleware.NoStoreMiddleware).
    if evidence.content_type == Evidence.ContentType.PDF:
        # A PDF opened in the browser runs in a sandbox: no scripts, no same-origin access.
        response["Content-Security-Policy"] = "sandbox"
    return response


# --- actions ------------------------------------------------------------------------------


def _stale_message(appeal_id: int, data: dict[str, Any]) -> str:
    what = selectors.changes_since(appeal_id, data.get("seen_seq"))
    return _(
        "Someone else changed this case while you were looking: %(what)s. Nothing was "
        "done; this is the case as it is now."
    ) % {"what": "; ".join(what) or _("its status or assignee changed")}


def _act(
    request: HttpRequest,
    pk: int,
    key: str,
    form: djforms.Form,
    *,
    perm: str,
    do: Callable[[Appeal, dict[str, Any]], Any],
    success: Callable[[Any], str] | str,
    anchor: str = "",
    preview: Callable[[Appeal, dict[str, Any]], HttpResponse | None] | None = None,
) -> HttpResponse:
    """Validate `form` and call the lifecycle once, passing on the `seen` version (the
    data's "expected" key) so a stale page is refused under the lifecycle's lock; on
    success redirect back with a message, on refusal show the message and fresh state."""
    if not roles.has(request.user, perm):
        raise PermissionDenied
    appeal = get_object_or_404(Appeal.objects.only("id", "updated_at"), pk=pk)
    if not form.is_valid():
        # A form-wide error (a damaged page) says itself: no field shows it.
        problem = " ".join(form.non_field_errors())
        messages.error(request, problem or _("Please correct the form below; nothing was changed."))
        return render_case(request, pk, bound={key: form}, status=400)
    data = form.cleaned_data
    try:
        if preview is not None:
            # A preview changes nothing: it is shown for the case as the user saw it, and
            # the confirmed action is checked again under the lock.
            if not lifecycle.is_current(appeal, data.get("expected")):
                raise lifecycle.StaleAppeal(appeal.pk)
            shown = preview(appeal, data)
            if shown is not None:
                return shown
        result = do(appeal, data)
    except DomainError as exc:
        stale = isinstance(exc, lifecycle.StaleAppeal)
        if exc.field and exc.field in form.fields and not stale:
            form.add_error(exc.field, exc.message)
        messages.error(request, _stale_message(appeal.pk, data) if stale else exc.message)
        return render_case(request, pk, bound={key: form}, status=exc.status)
    messages.success(request, success(result) if callable(success) else success)
    return redirect(case_url(appeal, anchor))


@require_POST
@staff_required
def claim(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "claim",
        ClaimForm(request.POST),
        perm=roles.WORK,
        do=lambda a, d: lifecycle.appeal_claim(
            appeal_id=a.pk, actor=request.user, expected_updated_at=d["expected"]
        ),
        success=_("You claimed this case."),
    )


@require_POST
@staff_required
def unassign(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "unassign",
        UnassignForm(request.POST),
        perm=roles.WORK,
        do=lambda a, d: lifecycle.appeal_unassign(
            appeal_id=a.pk, actor=request.user, expected_updated_at=d["expected"]
        ),
        success=_("The case is back in the queue."),
    )


@require_POST
@staff_required
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    # Validate against everyone who works appeals; the service refuses an assignee who
    # cannot take an escalated case, with a message that says so.
    form = AssignForm(request.POST, assignees=selectors.workers())

    def done(appeal: Appeal) -> str:
        if appeal.assignee is None:
            return _("The case is back in the queue.")
        return _("Assigned to %(user)s.") % {"user": appeal.assignee.get_username()}

    return _act(
        request,
        pk,
        "assign",
        form,
        perm=roles.ASSIGN,
        do=lambda a, d: lifecycle.appeal_assign(
            appeal_id=a.pk,
            assignee=d["assignee"],
            actor=request.user,
            expected_updated_at=d["expected"],
        ),
        success=done,
    )


@require_POST
@staff_required
def request_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    def do(appeal: Appeal, data: dict[str, Any]) -> Appeal:
        return lifecycle.appeal_request_evidence(
            appeal_id=appeal.pk,
            actor=request.user,
            party=data["party"],
            text=data["text"],
            due_at=data["due_at"],
            expected_updated_at=data["expected"],
        )

    return _act(
        request,
        pk,
        "request_evidence",
        RequestEvidenceForm(request.POST),
        perm=roles.WORK,
        do=do,
        success=lambda a: (
            _("Evidence requested from the %(party)s, due %(due)s.")
            % {
                "party": Party(a.evidence_requested_from).label.lower(),
                "due": timezone.localtime(a.evidence_due_at).strftime("%Y-%m-%d %H:%M"),
            }
        ),
    )


@require_POST
@staff_required
def record_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """The handler records a party's answer given outside the app; the guard
    (lifecycle.can_record_answer) decides, under the lock, whether the desk waits on it."""
    return _act(
        request,
        pk,
        "record_answer",
        RecordAnswerForm(request.POST),
        perm=roles.WORK,
        do=lambda a, d: lifecycle.appeal_record_answer(
            appeal_id=a.pk, actor=request.user, party=d["party"], note=d["note"]
        ),
        success=lambda a: _("Recorded: the party answered. Its clock has stopped."),
        anchor="sla",
    )


@require_POST
@staff_required
def note(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "note",
        NoteForm(request.POST),
        perm=roles.WORK,
        do=lambda a, d: lifecycle.note_add(appeal_id=a.pk, actor=request.user, text=d["text"]),
        success=_("Note added."),
        anchor="notes",
    )


@csrf_exempt
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload evidence on a party's behalf. The size guard must be in place before the
    body is read, and CSRF reads it, so CSRF is checked after (Django's documented
    pattern for custom upload handlers)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return HttpResponseBadRequest(_("The request's Content-Length is not a number."))
    if (
        request.method == "POST"
        and length > settings.EVIDENCE_MAX_BYTES + 64 * 1024
        and roles.is_staff_member(request.user)
    ):
        # Refused unread. The CSRF check would read the body (and find no token in what
        # the size guard left), so it answered "CSRF failed"; nothing is changed here, so
        # the page says what is wrong instead.
        messages.error(
            request,
            _("The file is larger than %(mib)s MiB.")
            % {"mib": settings.EVIDENCE_MAX_BYTES // 2**20},
        )
        return render_case(request, pk, status=413)
    guard = SizeLimitHandler(request)
    request.upload_handlers.insert(0, guard)
    return _upload(request, pk, guard=guard)


@require_POST
@staff_required
@csrf_protect
def _upload(request: HttpRequest, pk: int, *, guard: SizeLimitHandler) -> HttpResponse:
    form = EvidenceUploadForm(request.POST, request.FILES)
    if guard.exceeded:
        form.is_valid()
        form.add_error(
            "file", _("The file is larger than %(mib)s MiB.") % {"mib": guard.limit // 2**20}
        )

    def do(appeal: Appeal, data: dict[str, Any]) -> Evidence:
        upload = data["file"]
        return evidence_add(
            appeal_id=appeal.pk,
            upload=upload,
            party=data["party"],
            kind=data["kind"],
            actor=request.user,
            original_name=upload.name or "",
            note=data["note"],
            payer_name=data["payer_name"],
        )

    return _act(
        request,
        pk,
        "upload",
        form,
        perm=roles.WORK,
        do=do,
        success=_("Evidence added."),
        anchor="evidence",
    )


@require_POST
@staff_required
def correct_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct one field of what was read from a file; the service's guard
    (lifecycle.can_decide) decides, under the lock, who may."""
    return _act(
        request,
        pk,
        "correct_evidence",
        EvidenceCorrectionForm(request.POST),
        perm=roles.WORK,
        do=lambda a, d: evidence_correct(
            appeal_id=a.pk,
            evidence_id=d["evidence"],
            field=d["field"],
            value=d["value"],
            actor=request.user,
        ),
        success=_("Correction saved; the risk is recomputed with it."),
        anchor="evidence",
    )


@require_POST
@staff_required
def escalate(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "escalate",
        EscalateForm(request.POST),
        perm=roles.WORK,
        do=lambda a, d: lifecycle.appeal_escalate(
            appeal_id=a.pk,
            actor=request.user,
            reason=d["reason"],
            expected_updated_at=d["expected"],
        ),
        success=_("Escalated to the senior queue."),
    )


def _money_sentence(appeal: Appeal, outcome: str) -> str:
    order = appeal.order
    values = {
        "amount": _amount(appeal),
        "order": order.external_id,
        "appeal": appeal.pk,
    }
    if outcome == Verdict.Outcome.RELEASE_TO_BUYER:
        values["name"] = f"{order.buyer.display_name} ({order.buyer.external_id})"
        return _("Release %(amount)s to the buyer %(name)s?") % values
    if outcome == Verdict.Outcome.RETURN_TO_SELLER:
        values["name"] = f"{order.seller.display_name} ({order.seller.external_id})"
        return _("Cancel order %(order)s and return %(amount)s to the seller %(name)s?") % values
    return _("Close appeal #%(appeal)s with no fund movement?") % values


def _money_flow(appeal: Appeal, outcome: str) -> dict[str, str]:
    """What moves where, for the confirmation: from escrow to a party, or nowhere."""
    order = appeal.order
    side = {
        Verdict.Outcome.RELEASE_TO_BUYER: Party.BUYER,
        Verdict.Outcome.RETURN_TO_SELLER: Party.SELLER,
    }.get(outcome)
    if side is None:
        return {"amount": _amount(appeal), "to": "", "party": ""}
    trader = order.party(side)
    return {
        "amount": _amount(appeal),
        "party": side,
        "to": f"{Party(side).label} · {trader.display_name} ({trader.external_id})",
    }


def _verdict_preview(
    appeal: Appeal, form: VerdictForm, *, usual: list[Rule], other: list[Rule]
) -> dict[str, Any]:
    """What the confirmation shows for a valid verdict form, before anything is decided:
    the money movement, the verdict's facts and both parties' explanations."""
    data = form.cleaned_data
    draft = Verdict(
        appeal=appeal,
        outcome=data["outcome"],
        responsible_party=data["responsible_party"],
        rule=form.rule_obj,
        **form.rule_obj.citation(),
        rationale=data["rationale"],
    )
    action = form.account_action
    return {
        "appeal": appeal,
        "order": appeal.order,
        "form": VerdictForm(initial={**data, "confirm": True}, usual=usual, other=other),
        "data": data,
        "draft": draft,
        "rule": form.rule_obj,
        "question": _money_sentence(appeal, data["outcome"]),
        "flow": _money_flow(appeal, data["outcome"]),
        "four_eyes": lifecycle.four_eyes_required(appeal, data["outcome"]),
        "action": action,
        "action_label": dict(AccountAction.Kind.choices).get(action.kind) if action else "",
        "action_targets": draft.responsible_traders(),
        "explanations": _explanations(draft, appeal),
        "seen": data.get("seen", ""),
        "seen_seq": data.get("seen_seq") or "",
    }


@require_POST
@staff_required
def verdict(request: HttpRequest, pk: int) -> HttpResponse:
    appeal = selectors.case_appeal(pk)
    usual, other = selectors.rules_for(appeal)
    form = VerdictForm(request.POST, usual=usual, other=other)
    # The in-page dialog confirms with then=next: on success the arbitrator lands on the
    # next case to work. The no-JS confirmation page comes back to this case.
    then_next = request.POST.get("then") == "next"

    def preview(_appeal: Appeal, data: dict[str, Any]) -> HttpResponse | None:
        if data.get("confirm"):
            return None
        # The no-JS confirmation page asks what the in-page check asks: a case this user
        # may not decide is refused here, not only when confirmed.
        lifecycle.can_decide(request.user, appeal).check()
        settled = lifecycle.outcome_refusal(appeal, data["outcome"])
        if settled is not None:
            raise settled
        return render(
            request,
            "cases/partials/case_verdict_confirm.html",
            _verdict_preview(appeal, form, usual=usual, other=other),
        )

    def do(a: Appeal, data: dict[str, Any]) -> Verdict:
        return lifecycle.verdict_propose(
            appeal_id=a.pk,
            actor=request.user,
            outcome=data["outcome"],
            responsible_party=data["responsible_party"],
            rule_code=data["rule"],
            rationale=data["rationale"],
            account_action=form.account_action,
            expected_updated_at=data["expected"],
        )

    def done(v: Verdict) -> str:
        if v.state == Verdict.State.PENDING:
            said = _(
                "Verdict proposed. It is above the four-eyes threshold: it waits for a second "
                "senior arbitrator or team lead, and no funds move until then."
            )
        else:
            said = _("Verdict issued: %(outcome)s. It has taken effect.") % {
                "outcome": v.get_outcome_display().lower()
            }
        if then_next:
            return _("Appeal #%(id)s: %(what)s") % {"id": appeal.pk, "what": said}
        return said

    response = _act(
        request,
        pk,
        "verdict",
        form,
        perm=roles.WORK,
        do=do,
        success=done,
        preview=preview,
    )
    if then_next and response.status_code == 302 and form.cleaned_data.get("confirm"):
        return open_next_case(request)
    return response


@require_http_methods(["GET", "POST"])
@staff_required
def verdict_check(request: HttpRequest, pk: int) -> HttpResponse:
    """The verdict form checked, nothing decided: the in-page confirmation dialog's body
    (the money movement, the facts, both parties' explanations and the confirm button),
    or the form's errors (400), a refusal (403), or the stale-page message (409)."""
    if not roles.has(request.user, roles.WORK):
        raise PermissionDenied
    appeal = selectors.case_appeal(pk)
    usual, other = selectors.rules_for(appeal)
    form = VerdictForm(
        request.POST if request.method == "POST" else request.GET, usual=usual, other=other
    )
    template = "cases/partials/case_verdict_check.html"
    if not form.is_valid():
        return render(request, template, {"appeal": appeal, "form": form}, status=400)
    permit = lifecycle.can_decide(request.user, appeal)
    if not permit:
        return render(request, template, {"appeal": appeal, "refusal": permit.reason}, status=403)
    if not lifecycle.is_current(appeal, form.cleaned_data.get("expected")):
        refusal = _stale_message(appeal.pk, form.cleaned_data)
        return render(request, template, {"appeal": appeal, "refusal": refusal}, status=409)
    settled = lifecycle.outcome_refusal(appeal, form.cleaned_data["outcome"])
    if settled is not None:
        form.add_error("outcome", settled.message)
        return render(request, template, {"appeal": appeal, "form": form}, status=400)
    context = _verdict_preview(appeal, form, usual=usual, other=other)
    return render(request, template, {**context, "checked": True})


def _pending_verdict(pk: int, vid: int) -> Verdict:
    return get_object_or_404(Verdict, pk=vid, appeal_id=pk)


@require_POST
@staff_required
def approve(request: HttpRequest, pk: int, vid: int) -> HttpResponse:
    _pending_verdict(pk, vid)
    return _act(
        request,
        pk,
        "approve",
        ApproveForm(request.POST),
        perm=roles.APPROVE,
        do=lambda a, d: lifecycle.verdict_approve(
            verdict_id=vid, actor=request.user, expected_updated_at=d["expected"]
        ),
        success=lambda v: (
            _("Verdict approved; it has taken effect: %(outcome)s.")
            % {"outcome": v.get_outcome_display().lower()}
        ),
    )


@require_POST
@staff_required
def send_back(request: HttpRequest, pk: int, vid: int) -> HttpResponse:
    _pending_verdict(pk, vid)
    return _act(
        request,
        pk,
        "send_back",
        SendBackForm(request.POST),
        perm=roles.APPROVE,
        do=lambda a, d: lifecycle.verdict_send_back(
            verdict_id=vid,
            actor=request.user,
            comment=d["comment"],
            expected_updated_at=d["expected"],
        ),
        success=_("Verdict sent back to its arbitrator."),
    )


@require_POST
@staff_required
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "cancel",
        CancelForm(request.POST),
        perm=roles.WORK,
        do=lambda a, d: lifecycle.appeal_cancel(
            appeal_id=a.pk,
            actor=request.user,
            reason=d["reason"],
            expected_updated_at=d["expected"],
        ),
        success=_("The appeal is cancelled."),
    )


@require_POST
@staff_required
def message(request: HttpRequest, pk: int) -> HttpResponse:
    def do(appeal: Appeal, data: dict[str, Any]) -> str:
        lifecycle.party_message_send(
            appeal_id=appeal.pk, actor=request.user, party=data["party"], text=data["text"]
        )
        return data["party"]

    return _act(
        request,
        pk,
        "message",
        MessageForm(request.POST),
        perm=roles.WORK,
        do=do,
        success=lambda side: (
            _("Message sent to the %(party)s.") % {"party": Party(side).label.lower()}
        ),
        # The page's top: the message is the chat's latest line, in view on load; an
        # anchor on the actions column would scroll the header away.
        anchor="",
    )


# --- second-level review ------------------------------------------------------------------


def _review_id(pk: int) -> int:
    appeal = get_object_or_404(Appeal.objects.select_related("review"), pk=pk)
    review = selectors.case_review(appeal)
    if review is None:
        raise Http404("This appeal has no review.")
    return review.pk


@require_POST
@staff_required
def review_assign(request: HttpRequest, pk: int) -> HttpResponse:
    review_id = _review_id(pk)
    # Every senior validates here; the service refuses one who handled the parties' cases.
    form = ReviewAssignForm(request.POST, reviewers=selectors.workers(escalations=True))
    return _act(
        request,
        pk,
        "review_assign",
        form,
        perm=roles.ASSIGN,
        do=lambda a, d: lifecycle.review_assign(
            review_id=review_id, reviewer=d["reviewer"], actor=request.user
        ),
        success=lambda r: _("Review assigned to %(user)s.") % {"user": r.reviewer.get_username()},
        anchor="review",
    )


@require_POST
@staff_required
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    review_id = _review_id(pk)

    def do(appeal: Appeal, data: dict[str, Any]) -> Any:
        uphold = data["decision"] == "uphold"
        return lifecycle.review_decide(
            review_id=review_id,
            actor=request.user,
            uphold=uphold,
            rationale=data["rationale"],
            outcome="" if uphold else data["outcome"],
            responsible_party="" if uphold else data["responsible_party"],
        )

    return _act(
        request,
        pk,
        "review_decide",
        ReviewDecideForm(request.POST),
        perm=roles.HANDLE_ESCALATION,
        do=do,
        success=lambda r: {
            "upheld": _("Verdict upheld."),
            "proposed": _(
                "Reversal proposed. It is above the four-eyes threshold: it takes effect when "
                "a second senior arbitrator or team lead approves it."
            ),
        }.get(r.state, _("Verdict reversed; the exchange is told to compensate.")),
        anchor="review",
    )


@require_POST
@staff_required
def reversal_approve(request: HttpRequest, pk: int) -> HttpResponse:
    review_id = _review_id(pk)
    return _act(
        request,
        pk,
        "reversal_approve",
        ReversalApproveForm(request.POST),
        perm=roles.APPROVE,
        do=lambda a, d: lifecycle.review_reversal_approve(review_id=review_id, actor=request.user),
        success=_("Reversal approved; the exchange is told to compensate."),
        anchor="review",
    )


@require_POST
@staff_required
def reversal_send_back(request: HttpRequest, pk: int) -> HttpResponse:
    review_id = _review_id(pk)
    return _act(
        request,
        pk,
        "reversal_send_back",
        ReversalSendBackForm(request.POST),
        perm=roles.APPROVE,
        do=lambda a, d: lifecycle.review_reversal_send_back(
            review_id=review_id, actor=request.user, comment=d["comment"]
        ),
        success=_("Reversal sent back to its reviewer."),
        anchor="review",
    )


@require_GET
@staff_required
def reviews(request: HttpRequest) -> HttpResponse:
    """Reviews assigned to me, waiting for a reviewer, with others, recently decided: for
    seniors and leads, and auditors (who read everything)."""
    user = request.user
    reviewer = roles.has(user, roles.HANDLE_ESCALATION) or roles.has(user, roles.ASSIGN)
    if not (reviewer or roles.Role.AUDITOR in roles.user_roles(user)):
        raise PermissionDenied
    return render(request, "cases/partials/case_reviews.html", selectors.reviews_for(user))
