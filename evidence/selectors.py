"""Reading the account-signal analysis: which accounts share a device, IP, card or
payment account with a case's parties. (The risk score that uses the same signals is
evidence.risk.)"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q

from cases.models import AccountSignal, Trader


def shared_signals(
    traders: list[Trader], *, sample: int
) -> tuple[list[AccountSignal], list[dict[str, Any]]]:
    """The parties' own signals, and every (kind, value) they share with other accounts:
    how many other traders carry it, and a few of them (`sample` rows in all)."""
    ids = [t.pk for t in traders]
    own = list(
        AccountSignal.objects.filter(trader_id__in=ids).order_by("trader_id", "kind", "value")
    )
    same_value = AccountSignal.objects.filter(
        trader_id__in=ids, kind=OuterRef("kind"), value=OuterRef("value")
    )
    elsewhere = AccountSignal.objects.filter(Exists(same_value)).exclude(trader_id__in=ids)
    counts = {
        (row["kind"], row["value"]): row
        for row in elsewhere.values("kind", "value").annotate(
            accounts=Count("trader_id", distinct=True),
            frozen=Count("trader_id", filter=Q(trader__frozen=True), distinct=True),
        )
    }
    samples: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in elsewhere.order_by("kind", "value", "trader__external_id").values(
        "kind", "value", "trader_id", "trader__external_id", "trader__frozen"
    )[:sample]:
        samples.setdefault((row["kind"], row["value"]), []).append(row)
    linked = []
    for signal in own:
        key = (signal.kind, signal.value)
        if key in counts:
            linked.append(
                {
                    "trader_id": signal.trader_id,
                    "kind": signal.get_kind_display(),
                    "value": signal.value,
                    "accounts": counts[key]["accounts"],
                    "frozen": counts[key]["frozen"],
                    "sample": samples.get(key, [])[:5],
                }
            )
    return own, linked
