"""A real HTTP receiver on 127.0.0.1 for webhook tests, and events as the desk writes them."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.db import transaction

from cases.models import OutboxEvent, WebhookDelivery, WebhookSubscriber
from cases.outbox import event_emit

SECRET = "s3cret-for-tests-only-0123456789"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def event_id(self) -> str:
        return json.loads(self.body)["id"]


# respond(received) -> status code, or (status code, extra headers)
Responder = Callable[[Received], "int | tuple[int, dict[str, str]]"]


@dataclass
class Receiver:
    """Records every POST it gets and answers with whatever `respond` says."""

    url: str = ""
    respond: Responder = lambda received: 200  # noqa: E731
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, received: Received) -> None:
        with self.lock:
            self.requests.append(received)

    def received(self) -> list[Received]:
        with self.lock:
            return list(self.requests)

    def acknowledged(self) -> Counter[str]:
        """How many times each event id was answered with a 2xx."""
        return Counter(r.event_id for r in self.received() if 200 <= r.status < 300)

    def attempts(self) -> Counter[str]:
        return Counter(r.event_id for r in self.received())


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        received = Received(self.path, dict(self.headers.items()), body, status=0)
        answer = self.server.receiver.respond(received)
        status, headers = answer if isinstance(answer, tuple) else (answer, {})
        received.status = status
        self.server.receiver.record(received)
        payload = b"nope" if status >= 400 else b"ok"
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: Receiver


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.receiver = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hook")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.receiver
    finally:
        server.shutdown()
        server.server_close()


def emit(type: str = "verdict.issued", **data: Any) -> OutboxEvent:
    """An event as the lifecycle writes it: inside the transaction of its cause."""
    with transaction.atomic():
        return event_emit(
            type=type,
            data={"appeal": 1, "order": "ORD-1", "outcome": "release_to_buyer", **data},
        )


def delivery_of(event: OutboxEvent, subscriber: WebhookSubscriber) -> WebhookDelivery:
    return WebhookDelivery.objects.get(event=event, subscriber=subscriber)
