"""Shutdown is bounded, and the Kubernetes manifest leaves it the time it needs."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent.parent


def test_kubernetes_grace_period_covers_the_shutdown_setting() -> None:
    docs = list(yaml.safe_load_all((ROOT / "deploy/kubernetes/helpline.yaml").read_text()))
    config = next(d for d in docs if d and d["kind"] == "ConfigMap")["data"]
    default = Settings.model_fields["shutdown_seconds"].default
    shutdown = int(config.get("HELPLINE_SHUTDOWN_SECONDS", default))
    deployment = next(d for d in docs if d and d["kind"] == "Deployment")
    grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace == shutdown + 5
