"""Upload handling that refuses an oversized file while it streams in, not after."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict


class TooLarge(Exception):
    pass


class SizeLimitHandler(FileUploadHandler):
    """First in the chain: counts bytes and stops the upload at the evidence limit, so an
    oversized file is never fully read, buffered or written to a temporary file."""

    def __init__(self, request=None) -> None:
        super().__init__(request)
        self.limit = settings.EVIDENCE_MAX_BYTES
        self.received = 0
        self.exceeded = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # Multipart overhead is small; a body far above the limit is refused unread.
        if content_length and content_length > self.limit + 64 * 1024:
            self.exceeded = True
            # Returning (POST, FILES) ends parsing unread. Django does not catch a
            # StopUpload raised here (only one raised while the body streams), so raising
            # would turn the refusal into a 500.
            return QueryDict(), MultiValueDict()
        return None

    def receive_data_chunk(self, raw_data: bytes, start: int):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int):
        return None
