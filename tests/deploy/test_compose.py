"""Docker does not run here, so check the compose file by reading it: every command is a real
entry point with a real subcommand, and every environment variable is a real setting."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml

from services.carrier_adapter.settings import CarrierAdapterSettings
from services.devstack.main import OPS_PORT_SETTINGS
from services.order_watch.settings import OrderWatchSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SCRIPTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
INFRA = {"postgres", "kafka"}
SERVE_PORTS = {"order-watch": "ORDER_WATCH_HTTP_PORT", "carrier-adapter": "CARRIER_ADAPTER_HTTP_PORT"}
SERVICE_SETTINGS = {
    "order-watch": (OrderWatchSettings, "ORDER_WATCH_"),
    "carrier-adapter": (CarrierAdapterSettings, "CARRIER_ADAPTER_"),
}
# Every long-running process role: (console script, subcommand).
ROLES = {(script, "serve") for script in SERVE_PORTS} | {tuple(name.rpartition("-")[::2]) for name in OPS_PORT_SETTINGS}
HEALTH_URL = re.compile(r"http://127\.0\.0\.1:(\d+)(/\w+)")


def app_services() -> dict[str, dict]:
    return {name: spec for name, spec in COMPOSE["services"].items() if name not in INFRA}


def commands_of(spec: dict) -> list[list[str]]:
    command = spec["command"]
    if command[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in command[2].split("&&")]
    return [command]


def subcommands(script: str) -> set[str]:
    module_name, _, _ = SCRIPTS[script].partition(":")
    module = __import__(module_name, fromlist=["COMMANDS"])
    return set(getattr(module, "COMMANDS", {}))


@pytest.mark.parametrize("name", sorted(app_services()))
def test_every_command_is_a_real_entry_point(name: str) -> None:
    for command in commands_of(app_services()[name]):
        assert command[0] in SCRIPTS, f"{name}: {command[0]} is not a console script"
        known = subcommands(command[0])
        if known:
            assert command[1] in known, f"{name}: {command[0]} has no subcommand {command[1]}"


def setting_names() -> set[str]:
    names: set[str] = set()
    for settings, prefix in ((CarrierAdapterSettings, "CARRIER_ADAPTER_"), (OrderWatchSettings, "ORDER_WATCH_")):
        for field_name, field in settings.model_fields.items():
            alias = field.validation_alias
            if alias is not None:
                names |= {choice.upper() for choice in alias.choices}
            else:
                names.add(f"{prefix}{field_name}".upper())
    return names


def env_is_a_setting(variable: str, known: set[str]) -> bool:
    if variable in known:
        return True
    # dict settings take one variable per key: CARRIER_ADAPTER_WEBHOOK_SECRETS__UPS
    head, _, key = variable.partition("__")
    return bool(key) and head in known


@pytest.mark.parametrize("name", sorted(app_services()))
def test_every_environment_variable_is_a_real_setting(name: str) -> None:
    known = setting_names()
    for variable in app_services()[name].get("environment", {}):
        assert env_is_a_setting(variable, known), f"{name}: {variable} is not a setting of either service"


def test_env_example_names_only_real_settings() -> None:
    known = setting_names()
    for line in (ROOT / "deploy" / "env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            variable = line.split("=", 1)[0]
            assert env_is_a_setting(variable, known), variable


def test_kafka_runs_in_kraft_mode_and_idempotence_is_on_for_real_kafka() -> None:
    kafka = COMPOSE["services"]["kafka"]["environment"]
    assert "broker,controller" in kafka["KAFKA_PROCESS_ROLES"]
    assert "KAFKA_ZOOKEEPER_CONNECT" not in kafka
    assert COMPOSE["x-app"]["environment"]["KAFKA_ENABLE_IDEMPOTENCE"] == "true"


def test_dockerfile_installs_the_project() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert re.search(r"pip install .*\.", dockerfile)
    assert "USER orderwatch" in dockerfile


def test_env_example_values_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    for line in (ROOT / "deploy" / "env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            monkeypatch.setenv(name, value)
    order_watch = OrderWatchSettings()
    assert order_watch.notification_routes[0].channel in order_watch.notification_channels
    assert CarrierAdapterSettings().secrets_for("ups") == ["CHANGE_ME"]


def port_setting(script: str, sub: str) -> str:
    """The setting that gives a process role's port: HTTP for `serve`, else its operations port."""
    return SERVE_PORTS[script] if sub == "serve" else OPS_PORT_SETTINGS[f"{script}-{sub}"]


def port_of(script: str, sub: str, env: dict[str, str]) -> int:
    """The port a role listens on with this environment (the setting's default where unset)."""
    setting = port_setting(script, sub)
    settings, prefix = SERVICE_SETTINGS[script]
    return int(env.get(setting, settings.model_fields[setting.removeprefix(prefix).lower()].default))


@pytest.mark.parametrize("name", sorted(set(app_services()) - {"init"}))
def test_every_process_is_health_checked_on_its_own_port(name: str) -> None:
    spec = app_services()[name]
    script, sub = spec["command"][:2]
    found = HEALTH_URL.search(spec["healthcheck"]["test"][-1])
    assert found, f"{name}: no health URL in its healthcheck"
    assert (int(found.group(1)), found.group(2)) == (port_of(script, sub, spec.get("environment", {})), "/readyz")


def test_every_process_role_runs() -> None:
    roles = {tuple(spec["command"][:2]) for name, spec in app_services().items() if name != "init"}
    assert roles == ROLES
