"""Request hygiene for every path: refuse what no view could store."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse

from .api import error_response


class RejectNulMiddleware:
    """An API request with a NUL byte in its query string is refused with a 400 before any
    view runs.

    PostgreSQL text cannot hold NUL, so a filter value with one ("?status=%00") reached
    the database as an error and came back a 500; no field of the desk holds NUL either.
    (A NUL in an API path names nothing: 404, cases.api.by_external_id. The pages' own
    forms refuse NUL as invalid input and say so.)
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            query = request.META.get("QUERY_STRING", "")
            if "\x00" in query or b"\x00" in unquote_to_bytes(query):
                return error_response(
                    request, 400, "The query string contains a NUL character.", "invalid"
                )
        return self.get_response(request)
