"""The API's request parser: JSON, size-capped, and safe against deep nesting.

Its own module: DRF reads DEFAULT_PARSER_CLASSES while rest_framework.views is imported,
so the parser must not live beside code that imports DRF views (arbitration.api).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser


class TooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class SafeJSONParser(JSONParser):
    """The API's one request format (evidence uploads are multipart, by their own view).

    Reads at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes (DRF reads the stream itself, past
    Django's own check) and turns a body nested deeper than Python's recursion limit into
    a 400, not a RecursionError and a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if limit is not None and len(raw) > limit:
            raise TooLarge(f"The request body is larger than {limit} bytes.")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.loads(raw.decode(encoding), parse_constant=_refuse_constant)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON, and not amounts.
    raise ValueError(f"{name} is not valid JSON")
