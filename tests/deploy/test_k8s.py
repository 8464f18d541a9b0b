"""The Kubernetes base, rendered by `kubectl kustomize` as a cluster would get it: every process
role has a Deployment whose command is a real entry point, whose environment names only real
settings, whose probes hit routes the process serves on the port its setting gives, with resource
requests; Services, autoscalers and the disruption budget select real Deployments."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.carrier_adapter.app import create_app as adapter_app
from services.carrier_adapter.settings import CarrierAdapterSettings
from services.common.ops import ops_app
from services.order_watch.app import create_app as order_watch_app
from services.order_watch.settings import OrderWatchSettings
from tests.deploy.test_compose import (
    ROLES,
    ROOT,
    SCRIPTS,
    commands_of,
    env_is_a_setting,
    port_of,
    setting_names,
    subcommands,
)

BASE = ROOT / "deploy" / "k8s"


def render() -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return render_base_by_hand()
    out = subprocess.run([kubectl, "kustomize", str(BASE)], capture_output=True, text=True, check=True).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def render_base_by_hand() -> list[dict[str, Any]]:
    """Without kubectl (not every machine has it): the three kustomize features the base uses —
    its resources, labels on every object, and the image tag. Anything else is refused, so the
    base cannot quietly outgrow this."""
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    unknown = set(kustomization) - {"apiVersion", "kind", "resources", "labels", "images"}
    assert not unknown, f"render with kubectl: the base uses {sorted(unknown)}"
    labels = {key: value for entry in kustomization.get("labels", []) for key, value in entry["pairs"].items()}
    tags = {image["name"]: image["newTag"] for image in kustomization.get("images", [])}
    docs = [doc for name in kustomization["resources"] for doc in yaml.safe_load_all((BASE / name).read_text()) if doc]
    for doc in docs:
        doc.setdefault("metadata", {}).setdefault("labels", {}).update(labels)
        for container in doc.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            name = container["image"].split(":")[0]
            if name in tags:
                container["image"] = f"{name}:{tags[name]}"
    return docs


RENDERED = render()


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for doc in RENDERED if doc["kind"] == kind]


def containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["spec"]["template"]["spec"]["containers"]


def deployments() -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in of_kind("Deployment")}


def role_of(container: dict[str, Any]) -> tuple[str, str]:
    script, sub = container["command"][:2]
    return script, sub


def test_every_process_role_has_a_deployment() -> None:
    assert {role_of(c) for d in deployments().values() for c in containers(d)} == ROLES


@pytest.mark.parametrize("kind", ["Deployment", "Job"])
def test_every_command_is_a_real_entry_point(kind: str) -> None:
    for doc in of_kind(kind):
        for container in containers(doc):
            for command in commands_of(container):
                assert command[0] in SCRIPTS, f"{doc['metadata']['name']}: {command[0]} is not a console script"
                known = subcommands(command[0])
                assert not known or command[1] in known, f"{command[0]} has no subcommand {command[1]}"


def test_the_job_migrates_both_schemas_and_creates_the_topics() -> None:
    (job,) = of_kind("Job")
    steps = [command[:2] for command in commands_of(containers(job)[0])]
    assert steps[:2] == [["carrier-adapter", "migrate"], ["order-watch", "migrate"]]
    assert steps[2][0] == "ow-topics"


def test_every_environment_variable_and_config_key_is_a_real_setting() -> None:
    known = setting_names()
    (config,) = of_kind("ConfigMap")
    for key in config["data"]:
        assert env_is_a_setting(key, known), f"ConfigMap: {key} is not a setting"
    secret_keys = set(yaml.safe_load((BASE / "secret.example.yaml").read_text())["stringData"])
    for doc in [*of_kind("Deployment"), *of_kind("Job")]:
        for container in containers(doc):
            assert container["envFrom"] == [{"configMapRef": {"name": config["metadata"]["name"]}}]
            for variable in container.get("env", []):
                assert env_is_a_setting(variable["name"], known), f"{doc['metadata']['name']}: {variable['name']}"
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["key"] in secret_keys, f"{ref['key']} is not in secret.example.yaml"


def configured_port(container: dict[str, Any]) -> int:
    """The port the process listens on: its setting from the container's env, else the setting's default."""
    values = {variable["name"]: variable["value"] for variable in container.get("env", []) if "value" in variable}
    return port_of(*role_of(container), values)


def served_paths(container: dict[str, Any]) -> set[str]:
    script, sub = role_of(container)
    if sub == "serve":
        app = (
            order_watch_app(OrderWatchSettings()) if script == "order-watch" else adapter_app(CarrierAdapterSettings())
        )
    else:
        app = ops_app(OrderWatchSettings(), lambda: None)
    return set(app.openapi()["paths"])


@pytest.mark.parametrize("name", sorted(deployments()))
def test_probes_hit_served_routes_on_the_configured_port(name: str) -> None:
    for container in containers(deployments()[name]):
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            get = container[probe]["httpGet"]
            assert get["path"] == path
            assert path in served_paths(container), f"{name} does not serve {path}"
            assert ports[get["port"]] == configured_port(container), f"{name}: {probe} port is not the process's"


@pytest.mark.parametrize("name", sorted(deployments()))
def test_every_container_requests_resources(name: str) -> None:
    for container in containers(deployments()[name]):
        assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name


def selects(selector: dict[str, str]) -> set[str]:
    return {
        name
        for name, doc in deployments().items()
        if selector.items() <= doc["spec"]["template"]["metadata"]["labels"].items()
    }


def test_services_autoscalers_and_the_budget_point_at_real_deployments() -> None:
    for service in of_kind("Service"):
        assert selects(service["spec"]["selector"]) == {service["metadata"]["name"]}
    scaled = {hpa["spec"]["scaleTargetRef"]["name"] for hpa in of_kind("HorizontalPodAutoscaler")}
    assert scaled == {"order-watch-api", "carrier-adapter"}
    (budget,) = of_kind("PodDisruptionBudget")
    assert selects(budget["spec"]["selector"]["matchLabels"]) == {"order-watch-worker"}
    assert deployments()["order-watch-worker"]["spec"]["replicas"] > budget["spec"]["minAvailable"]


def test_the_base_names_the_image_every_pod_runs() -> None:
    images = {c["image"] for doc in [*of_kind("Deployment"), *of_kind("Job")] for c in containers(doc)}
    assert images == {"order-watch:latest"}
    assert Path(BASE / "kustomization.yaml").exists()
