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
from services.order_watch.settings import OrderWatchSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SCRIPTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
INFRA = {"postgres", "kafka"}


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
