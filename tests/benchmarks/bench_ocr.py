"""OCR seconds per voucher on this machine (not a test).

    .venv/bin/python tests/benchmarks/bench_ocr.py [N]

Renders N English and N Chinese receipts (tests/evidence/receipts.py, default 20) and
prints the engine's load time and p50/p95/max seconds per voucher for each language.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arbitration.settings")
os.environ["EVIDENCE_OCR"] = "1"

import django  # noqa: E402

django.setup()

from evidence import ocr  # noqa: E402
from tests.evidence.receipts import receipts  # noqa: E402


def main(n: int) -> None:
    started = time.perf_counter()
    ocr.engine()
    print(f"engine load: {time.perf_counter() - started:.2f} s")
    for lang in ("en", "zh"):
        seconds = []
        for sample in receipts(lang, n, seed=7):
            started = time.perf_counter()
            ocr.image_lines(sample.png)
            seconds.append(time.perf_counter() - started)
        seconds.sort()
        p95 = seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))]
        print(
            f"{lang}: {n} vouchers, p50 {statistics.median(seconds):.2f} s, "
            f"p95 {p95:.2f} s, max {seconds[-1]:.2f} s"
        )
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
