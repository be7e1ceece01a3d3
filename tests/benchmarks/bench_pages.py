"""Latency of the arbitrator's pages under gunicorn. A script, not a test.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/arb_bench \
        .venv/bin/python tests/benchmarks/bench_pages.py [--requests 100] [--port 8766]

Creates (or reuses) a benchmark arbitrator and a case with 500 chat messages, starts
gunicorn with 2 workers, logs in through the real login form, and prints p50/p95/max of
the queue (first page, filtered, sorted by amount, a page deep via the cursor) and of the
500-message case page.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
PASSWORD = "bench-pass-2026"

SETUP = """
from datetime import timedelta
from django.utils import timezone
from cases import lifecycle, services
from cases.models import Appeal, Order
order = Order.objects.filter(external_id="BENCH-CHAT-500").first()
if order is None:
    now = timezone.now()
    order, _ = services.order_upsert(
        external_id="BENCH-CHAT-500", actor=None,
        buyer={"external_id": "BENCH-B", "display_name": "Bench Buyer", "language": "en"},
        seller={"external_id": "BENCH-S", "display_name": "Bench Seller", "language": "zh-hans"},
        asset="USDT", crypto_amount="750", fiat_currency="CNY", fiat_amount="5400",
        price="7.2", payment_method="Alipay", status="paid", created_at=now - timedelta(hours=5),
    )
    services.chat_ingest(order=order, messages=[
        {"external_id": f"BENCH-CHAT-500-{i}", "sender": ("buyer", "seller", "system")[i % 3],
         "sent_at": now - timedelta(hours=5) + timedelta(seconds=30 * i),
         "text": f"message {i}: I paid via alipay, please check; add me on telegram @bench{i}"}
        for i in range(500)
    ])
if not Appeal.objects.filter(order=order).exists():
    lifecycle.appeal_open(order=order, opened_by="buyer", reason="crypto_not_released",
                          description="Paid, not released.")
print(Appeal.objects.filter(order=order).latest("id").pk)
"""

# The steady state a running desk is in: the floor tick folds the status counts' delta
# rows every minute, and autovacuum keeps the visibility map that index-only scans (the
# queue's closed-today count) need. A freshly seeded database has neither yet.
STEADY = """
from django.db import connection
from cases.models import AppealStatusCount
AppealStatusCount.compact()
said = "status counts compacted"
if connection.vendor == "postgresql":
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) cases_appeal")
    said += ", cases_appeal vacuumed"
print(said)
"""


def manage(*args: str) -> str:
    return subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        f"p50 {statistics.median(ordered) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms   "
        f"max {ordered[-1] * 1000:7.1f} ms   (n={len(ordered)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    args = parser.parse_args()
    if not args.port:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            args.port = probe.getsockname()[1]
    manage("create_staff_user", "bench-arbitrator", "--role", "arbitrator", "--password", PASSWORD)
    case_id = int(manage("shell", "-c", SETUP).strip().splitlines()[-1])
    print(manage("shell", "-c", STEADY).strip())
    base = f"http://127.0.0.1:{args.port}"
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
        env={**os.environ, "ALLOWED_HOSTS": "127.0.0.1"},
    )
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    try:
        for _ in range(100):
            try:
                login_page = opener.open(f"{base}/accounts/login/").read().decode()
                break
            except OSError:
                time.sleep(0.2)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
        body = urllib.parse.urlencode(
            {"username": "bench-arbitrator", "password": PASSWORD, "csrfmiddlewaretoken": token}
        ).encode()
        request = urllib.request.Request(f"{base}/accounts/login/", data=body)
        request.add_header("Referer", f"{base}/accounts/login/")
        opener.open(request).read()

        def measure(label: str, path: str) -> str:
            opener.open(base + path).read()  # warm up
            timings = []
            page = ""
            for _ in range(args.requests):
                started = time.perf_counter()
                with opener.open(base + path) as response:
                    page = response.read().decode()
                    assert response.status == 200, (path, response.status)
                timings.append(time.perf_counter() - started)
            print(f"{label:<40} {percentiles(timings)}")
            return page

        count = manage(
            "shell", "-c", "from cases.models import Appeal; print(Appeal.objects.count())"
        )
        print(f"appeals in the database: {int(count.split()[-1]):,}\n")
        first = measure("queue, first page", "/")
        measure(
            "queue, reason + payment method filter", "/?reason=fraud_scam&payment_method=Alipay"
        )
        measure("queue, all statuses sorted by amount", "/?status=&sort=-amount")
        measure("queue, unassigned, overdue", "/?assignee=unassigned&overdue=yes")
        deep = "/"
        for _ in range(10):
            page = opener.open(base + deep).read().decode()
            found = re.search(r'href="(/?\?[^"]*after=[^"]+)"', page)
            if not found:
                break
            deep = found.group(1).replace("&amp;", "&")
            if not deep.startswith("/"):
                deep = "/" + deep
        measure("queue, ~10 pages deep via the cursor", deep)
        measure("case page with 500 chat messages", f"/cases/{case_id}/")
        assert first
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
