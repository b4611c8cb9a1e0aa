"""Prometheus metrics: counts and timings only, never anything about who wrote or what."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

UPDATES = Counter(
    "helpline_updates_total", "Telegram updates handled, by kind and outcome", ["kind", "outcome"]
)
UPDATE_SECONDS = Histogram(
    "helpline_update_seconds",
    "Time to handle one update, replies included",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
WEBHOOK_REJECTED = Counter(
    "helpline_webhook_rejected_total", "Webhook requests refused, by reason", ["reason"]
)
PURGED = Counter("helpline_purged_total", "Expired records removed by the purge", ["what"])
