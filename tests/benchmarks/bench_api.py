"""API latency and chat-ingest throughput under gunicorn. A script, not a test.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/arb_bench \
        .venv/bin/python tests/benchmarks/bench_api.py [--requests 200] [--port 8765]

Starts gunicorn (2 workers) on the given database, then reports p50/p95/max latency of
GET /api/v1/appeals/ (first page, a filtered page, a deep page via the cursor), of an
appeal's detail, and chat ingest throughput in messages per second.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable


def manage(*args: str) -> str:
    return subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


class Client:
    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def call(self, method: str, path: str, body: object | None = None) -> tuple[int, object, float]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Token {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                payload = json.loads(response.read() or b"null")
                code = response.status
        except urllib.error.HTTPError as exc:
            payload, code = exc.read().decode()[:300], exc.code
        return code, payload, time.perf_counter() - started


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        f"p50 {statistics.median(ordered) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms   "
        f"max {ordered[-1] * 1000:7.1f} ms   (n={len(ordered)})"
    )


def measure(client: Client, label: str, paths: list[str]) -> None:
    client.call("GET", paths[0])  # warm up
    timings = []
    for path in paths:
        code, payload, elapsed = client.call("GET", path)
        if code != 200:
            raise SystemExit(f"{label}: {path} answered {code}: {payload}")
        timings.append(elapsed)
    print(f"{label:<38} {percentiles(timings)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--chat-orders", type=int, default=40)
    args = parser.parse_args()
    if not args.port:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            args.port = probe.getsockname()[1]
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("warning: DATABASE_URL is not PostgreSQL; figures will not mean much")
    token = manage("create_service_token", "benchmark").strip().splitlines()[-1]
    env = {**os.environ, "ALLOWED_HOSTS": "127.0.0.1"}
    server = subprocess.Popen(
        [
            PY,
            "-m",
            "gunicorn",
            "arbitration.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    client = Client(f"http://127.0.0.1:{args.port}", token)
    try:
        for _ in range(100):
            try:
                client.call("GET", "/api/v1/rules/")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        code, first, _ = client.call("GET", "/api/v1/appeals/?page_size=50")
        assert code == 200, first
        ids = [a["id"] for a in first["results"]]
        count = manage(
            "shell", "-c", "from cases.models import Appeal; print(Appeal.objects.count())"
        )
        print(f"appeals in the database: {int(count.split()[-1]):,}\n")
        n = args.requests
        measure(client, "GET /appeals/ first page (50)", ["/api/v1/appeals/"] * n)
        measure(
            client,
            "GET /appeals/?status=open&reason=…",
            [f"/api/v1/appeals/?status=open&reason={random.choice(REASONS)}" for _ in range(n)],
        )
        measure(
            client,
            "GET /appeals/?assignee=none&opened_by=…",
            [
                f"/api/v1/appeals/?assignee=none&opened_by={random.choice(['buyer', 'seller'])}"
                for _ in range(n)
            ],
        )
        # A deep page: follow the cursor 20 pages in, then time that page.
        path = "/api/v1/appeals/?page_size=50"
        for _ in range(20):
            _, page, _ = client.call("GET", path)
            path = page["next"].split(f":{args.port}", 1)[1]
        measure(client, "GET /appeals/ page 21 via cursor", [path] * n)
        _, sample, _ = client.call("GET", "/api/v1/appeals/?page_size=200&status=resolved")
        detail_ids = ids + [a["id"] for a in sample["results"]]
        measure(
            client,
            "GET /appeals/{id}/",
            [f"/api/v1/appeals/{random.choice(detail_ids)}/" for _ in range(n)],
        )
        chat_throughput(client, args.chat_orders)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


REASONS = [
    "crypto_not_released",
    "payment_not_received",
    "wrong_amount",
    "third_party_payment",
    "chargeback",
    "fraud_scam",
    "account_compromised",
    "other",
]


def chat_throughput(client: Client, orders: int) -> None:
    run = uuid.uuid4().hex[:8]
    start = datetime.now(UTC) - timedelta(hours=1)
    for i in range(orders):
        client.call(
            "POST",
            "/api/v1/orders/",
            {
                "external_id": f"BENCH-{run}-{i}",
                "buyer": {"external_id": f"BB-{run}-{i}", "display_name": "bench buyer"},
                "seller": {"external_id": f"BS-{run}-{i}", "display_name": "bench seller"},
                "asset": "USDT",
                "crypto_amount": "100.00",
                "fiat_currency": "CNY",
                "fiat_amount": "720.00",
                "price": "7.20",
                "payment_method": "alipay",
                "status": "paid",
                "created_at": start.isoformat(),
            },
        )
    batch, total, elapsed = 500, 0, 0.0
    for i in range(orders):
        messages = [
            {
                "external_id": f"BM-{run}-{i}-{j}",
                "sender": random.choice(["buyer", "seller"]),
                "sent_at": (start + timedelta(seconds=j)).isoformat(),
                "text": f"message {j} about the payment of order {i}",
            }
            for j in range(batch)
        ]
        code, payload, took = client.call("POST", f"/api/v1/orders/BENCH-{run}-{i}/chat/", messages)
        assert code in (200, 201), payload
        total += payload["created"]
        elapsed += took
    code, payload, took = client.call(
        "POST",
        f"/api/v1/orders/BENCH-{run}-0/chat/",
        [
            {
                "external_id": f"BM-{run}-0-{j}",
                "sender": "buyer",
                "sent_at": start.isoformat(),
                "text": "again",
            }
            for j in range(batch)
        ],
    )
    print(
        f"\nchat ingest: {total:,} messages in {orders} batches of {batch}: "
        f"{total / elapsed:,.0f} messages/s (one client, sequential requests)"
    )
    print(f"re-sent batch of {batch}: {payload} in {took * 1000:.0f} ms")


if __name__ == "__main__":
    main()
