"""Precomputed daily appeal metrics: the dashboards and the API read these rows."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class DailyMetric(models.Model):
    """One day of the operations time zone. Appeals opened count on the day they opened;
    everything decided counts on the day it was decided; backlog is at the day's end."""

    date = models.DateField(unique=True)
    computed_at = models.DateTimeField()
    # Today's row is recomputed every few minutes until the day is over.
    is_partial = models.BooleanField(default=False)
    appeals_opened = models.PositiveIntegerField(default=0)
    appeals_resolved = models.PositiveIntegerField(default=0)
    appeals_cancelled = models.PositiveIntegerField(default=0)
    by_reason = models.JSONField(default=dict)
    by_outcome = models.JSONField(default=dict)
    by_responsible_party = models.JSONField(default=dict)
    by_payment_method = models.JSONField(default=dict)
    by_channel = models.JSONField(default=dict)
    verdicts = models.PositiveIntegerField(default=0)
    appellant_wins = models.PositiveIntegerField(default=0)
    appellant_success_rate = models.FloatField(null=True)
    median_first_response_seconds = models.FloatField(null=True)
    p90_first_response_seconds = models.FloatField(null=True)
    median_resolution_seconds = models.FloatField(null=True)
    p90_resolution_seconds = models.FloatField(null=True)
    sla_breaches = models.PositiveIntegerField(default=0)
    backlog = models.PositiveIntegerField(default=0)
    escalations = models.PositiveIntegerField(default=0)
    sent_back = models.PositiveIntegerField(default=0)
    reversals = models.PositiveIntegerField(default=0)
    # {asset: "amount"} frozen in appeals still open at the day's end, and decided that
    # day by outcome: {outcome: {asset: "amount"}}. Decimal strings, never floats.
    frozen_amounts = models.JSONField(default=dict)
    decided_amounts = models.JSONField(default=dict)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"metrics {self.date}"


class ArbitratorDailyMetric(models.Model):
    date = models.DateField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    resolved = models.PositiveIntegerField(default=0)
    median_handling_seconds = models.FloatField(null=True)
    escalations = models.PositiveIntegerField(default=0)
    sent_back = models.PositiveIntegerField(default=0)
    sla_breaches = models.PositiveIntegerField(default=0)
    reversals = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["date", "user"]
        constraints = [
            models.UniqueConstraint(fields=["date", "user"], name="arbitrator_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.date}"


class MetricsLock(models.Model):
    """One row per computation kind, locked while a day is recomputed: two runs at once
    queue up instead of interleaving their delete-and-insert."""

    name = models.CharField(max_length=32, primary_key=True)

    def __str__(self) -> str:
        return self.name
