"""Project-wide API pieces: the error envelope and pagination."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import DomainError


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {
            key: [str(m) for m in (value if isinstance(value, list) else [value])]
            if not isinstance(value, dict)
            else [str(value)]
            for key, value in detail.items()
        }
    if isinstance(detail, list):
        return {"non_field_errors": [str(m) for m in detail]}
    return {}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error answers {"detail", "code", "errors": {field: [why]}}.

    Domain errors carry their HTTP status (409 for conflicts, 403, 400) and the field at
    fault; DRF's validation errors keep their per-field messages.
    """
    if isinstance(exc, DomainError):
        errors = {exc.field: [exc.message]} if exc.field else {}
        return Response(
            {"detail": exc.message, "code": exc.code, "errors": errors}, status=exc.status
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
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


class NewestFirstCursor(CursorPagination):
    """Keyset pagination: constant cost per page at any depth, unlike OFFSET."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


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
