"""Consistency of the Kubernetes manifests (they are not applied to a cluster here: deploy/README.md).
The image itself is booted and asked a question by tests/test_image.py (`make test-image`)."""

from __future__ import annotations

import re
from typing import Any, Dict, List

import yaml

from bot.config import PROJECT_ROOT

KUBE = PROJECT_ROOT / "deploy" / "kubernetes"


def documents() -> Dict[str, List[Any]]:
    return {path.name: [d for d in yaml.safe_load_all(path.read_text()) if d] for path in sorted(KUBE.glob("*.yaml"))}


def provided() -> set:
    docs = documents()
    names = set(docs["configmap.yaml"][0]["data"]) | set(docs["secret.example.yaml"][0]["stringData"])
    return names


def containers(kind_file: str) -> List[Dict[str, Any]]:
    deployment = [d for d in documents()[kind_file] if d["kind"] == "Deployment"][0]
    return deployment["spec"]["template"]["spec"]["containers"]


def test_every_manifest_parses_and_is_labelled():
    for name, docs in documents().items():
        assert docs, name
        for doc in docs:
            if name != "kustomization.yaml":
                assert doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "netbot", name


def test_kustomization_lists_every_manifest_but_the_secret_example():
    listed = set(documents()["kustomization.yaml"][0]["resources"])
    assert listed == {p.name for p in KUBE.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}


def test_the_scale_profile_gets_every_variable_it_names():
    needed = set(re.findall(r"\$\{([A-Z0-9_]+)\}", (PROJECT_ROOT / "endpoints.scale.yml").read_text()))
    assert needed and needed <= provided(), needed - provided()


def test_processes_and_their_security_settings():
    rasa, actions = containers("rasa.yaml")[0], containers("actions.yaml")[0]
    assert rasa["args"] == ["rasa"] and actions["args"] == ["actions"]
    config = documents()["configmap.yaml"][0]["data"]
    assert config["NETBOT_PROFILE"] == "scale" and config["SANIC_WORKERS"] == "2"
    assert "NETBOT_ENABLE_API" not in config  # the HTTP API stays off
    # The action server leaves loopback only with the shared token (and the NetworkPolicy).
    assert {"name": "NETBOT_ACTIONS_HOST", "value": "0.0.0.0"} in actions["env"]
    assert "NETBOT_ACTIONS_TOKEN" in provided()
    policy = documents()["networkpolicy.yaml"][0]
    assert policy["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "netbot-actions"}
    assert rasa["readinessProbe"]["httpGet"]["path"] == "/webhooks/rest/"
    assert actions["readinessProbe"]["httpGet"]["path"] == "/health"


def test_every_variable_the_manifests_set_is_read_by_someone():
    """Each ConfigMap / Secret key is a setting of bot/config.py, a ${VARIABLE} of the scale
    profile (Rasa expands those) or a channel's variable in credentials.yml."""
    from bot.config import env_names

    scale = set(re.findall(r"\$\{([A-Z0-9_]+)\}", (PROJECT_ROOT / "endpoints.scale.yml").read_text()))
    channels = set(re.findall(r"\$\{([A-Z0-9_]+)", (PROJECT_ROOT / "credentials.yml").read_text()))
    unknown = provided() - set(env_names()) - scale - channels
    assert not unknown, unknown
