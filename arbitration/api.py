"""Project-wide API pieces: the JSON parser, the error envelope and pagination."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import bad_request, page_not_found
from rest_framework import exceptions, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import DomainError
from .parsers import TooLarge


def _flatten(detail: Any, path: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as {path: [why]}: "seller.display_name", "[3].sender"."""
    if isinstance(detail, dict):
        result: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
                # A batch item, keyed by its index: "[3].sender", as for a list.
                segment = f"{path}[{key}]"
            else:
                segment = f"{path}.{key}" if path else str(key)
            result.update(_flatten(value, segment))
        return result
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {path or "non_field_errors": [str(m) for m in detail]} if detail else {}
        result = {}
        for index, item in enumerate(detail):
            result.update(_flatten(item, f"{path}[{index}]"))
        return result
    return {path or "non_field_errors": [str(detail)]}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error answers {"detail", "code", "errors": {field: [why]}}.

    Domain errors carry their HTTP status (409 for conflicts, 403, 400) and the field at
    fault; DRF's validation errors keep their per-field messages.
    """
    if isinstance(exc, DomainError):
        return Response(
            {"detail": exc.message, "code": exc.code, "errors": exc.errors}, status=exc.status
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = TooLarge()
    elif isinstance(exc, SuspiciousOperation):
        # Too many fields or files in a form body, and Django's other refusals of a
        # malformed request: the envelope, not Django's HTML 400 page.
        exc = exceptions.ParseError(str(exc) or "Malformed request.")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "detail": "Invalid input.",
            "code": "invalid",
            "errors": _flatten(exc.detail),
        }
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        response.data = {
            "detail": str(detail) if not isinstance(detail, (dict, list)) else "Error.",
            "code": getattr(detail, "code", None) or exc.default_code,
            "errors": _flatten(detail) if isinstance(detail, (dict, list)) else {},
        }
    return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def error_response(request: HttpRequest, status_code: int, detail: str, code: str):
    """The API's error envelope for refusals made outside a DRF view (middleware, URL
    resolution, Django's own request parsing)."""
    return JsonResponse({"detail": detail, "code": code, "errors": {}}, status=status_code)


def bad_request_view(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: JSON under /api/ (a too-large or too-many-fields body Django refused
    before any view ran), Django's page elsewhere."""
    if _is_api(request):
        if isinstance(exception, RequestDataTooBig):
            return error_response(request, 413, "The request body is too large.", "too_large")
        return error_response(request, 400, "Malformed request.", "invalid")
    return bad_request(request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: a path under /api/ that matches no route (/api/v1/appeals/abc/) gets
    the API's JSON envelope like every other API error; other paths get the HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "code": "not_found", "errors": {}}, status=404)
    return page_not_found(request, exception)


class NewestFirstCursor(CursorPagination):
    """Keyset pagination: constant cost per page at any depth, unlike OFFSET."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        # A cursor is base64 the client can forge: PostgreSQL text cannot hold NUL.
        if cursor is not None and cursor.position is not None and "\x00" in cursor.position:
            raise exceptions.NotFound(self.invalid_cursor_message)
        return cursor

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except DjangoValidationError:
            # A forged position that is no valid value of the ordering field.
            raise exceptions.NotFound(self.invalid_cursor_message) from None


class OldestFirstCursor(NewestFirstCursor):
    ordering = ("sent_at", "id")


class ByCodeCursor(NewestFirstCursor):
    ordering = ("code",)


ERROR_STATUSES = {
    status.HTTP_400_BAD_REQUEST: "invalid input; `errors` says which field and why",
    status.HTTP_401_UNAUTHORIZED: "no or bad credentials",
    status.HTTP_403_FORBIDDEN: "authenticated but not allowed",
    status.HTTP_404_NOT_FOUND: "no such resource",
}
