"""The deployment files work as written: pinned images, keys as owner-only files (never
environment variables), one copy of the database password, migrations before workers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def _k8s() -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((DEPLOY / "kubernetes/helpline.yaml").read_text()) if d]


def _pod_specs() -> dict[str, dict[str, Any]]:
    out = {}
    for doc in _k8s():
        spec = doc.get("spec") or {}
        template = spec.get("template") or spec.get("jobTemplate", {}).get("spec", {}).get(
            "template"
        )
        if template:
            out[doc["kind"]] = template["spec"]
    return out


def test_images_are_pinned_never_latest() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    images = [s["image"] for s in compose["services"].values() if "image" in s]
    for spec in _pod_specs().values():
        images += [c["image"] for c in spec["containers"] + spec.get("initContainers", [])]
    assert images and all(":" in i and not i.endswith(":latest") for i in images), images


def test_keys_and_password_arrive_as_files_in_compose() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    env = (DEPLOY / "helpline.env.example").read_text()
    assert "HELPLINE_MASTER_KEY=" not in env and "HELPLINE_PSEUDONYM_KEY=" not in env
    assert "CHANGE-ME" not in env  # the password has one home: secrets/db_password
    for name in ("migrate", "bot"):
        service = compose["services"][name]
        assert service["environment"]["HELPLINE_MASTER_KEY_FILE"].startswith("/run/secrets/")
        assert service["environment"]["HELPLINE_PSEUDONYM_KEY_FILE"].startswith("/run/secrets/")
        password = service["environment"]["HELPLINE_DATABASE_PASSWORD_FILE"]
        assert password == "/run/secrets/db_password"
    assert compose["services"]["db"]["environment"]["POSTGRES_PASSWORD_FILE"] == (
        "/run/secrets/db_password"
    )
    assert compose["services"]["bot"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }


def test_kubernetes_mounts_keys_as_owner_only_files_for_every_pod() -> None:
    config = next(d for d in _k8s() if d["kind"] == "ConfigMap")["data"]
    assert config["HELPLINE_MASTER_KEY_FILE"].startswith("/keys/")
    specs = _pod_specs()
    assert set(specs) == {"Job", "Deployment", "CronJob"}
    for kind, spec in specs.items():
        [init] = spec["initContainers"]
        assert "install -m 0400" in " ".join(init["command"]), kind
        assert spec["securityContext"]["runAsUser"] == 10001, kind
        keys = next(v for v in spec["volumes"] if v["name"] == "keys")
        assert keys["emptyDir"]["medium"] == "Memory", kind
        for container in spec["containers"]:
            names = {e for e in container.get("env", [])}
            assert not names, "keys must not be environment variables"
